import { describe, expect, it } from 'vitest';
import { privatizeSummary } from '../../src/experiments/privatizeMetrics';
import { asImported, csvCell, EXPORT_FORMAT, ImportError, parseRunsJson, runsToCsv, runsToJson } from '../../src/storage/exportRuns';
import type { RunRecord } from '../../src/storage/runRecord';
import { fakeStats, record, spec } from './runFixtures';

async function doneRun(id: string, seed: number): Promise<RunRecord> {
  const statistics = [5, 50, 500].map((eta) => fakeStats(seed, eta));
  return record(id, {
    status: 'done', seed, tags: ['paper', 'fig-2'], name: `=HYPERLINK("x"), "quoted"\nline ${id}`,
    summary: privatizeSummary(statistics),
    results: { kind: 'privatize', corpus: { name: 'inline texts', sentences: 3, sampled: 3, badRows: 0 }, statistics, privatizedSamples: [{ eta: 5, texts: ['x y'] }] },
  });
}

/** A tiny RFC 4180 reader, to check the CSV parses back into the cells written. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  return rows;
}

describe('JSON export and import', () => {
  it('round-trips complete runs', async () => {
    const runs = [await doneRun('run-a', 1), await doneRun('run-b', 2)];
    const text = runsToJson(runs, '0.1.0+abc', new Date('2025-02-03T04:05:06Z'));
    const file = JSON.parse(text);
    expect(file).toMatchObject({ format: EXPORT_FORMAT, version: 1, exportedAt: '2025-02-03T04:05:06.000Z', appVersion: '0.1.0+abc' });
    expect(parseRunsJson(text)).toEqual(runs);
  });

  it.each([
    ['{', 'is not JSON'],
    ['[]', 'not a RAPT Lab runs export'],
    ['{"format":"something-else"}', 'not a RAPT Lab runs export'],
    [`{"format":"${EXPORT_FORMAT}","version":7,"runs":[]}`, 'newer RAPT Lab'],
    [`{"format":"${EXPORT_FORMAT}","version":1}`, 'no list of runs'],
    [`{"format":"${EXPORT_FORMAT}","version":1,"runs":[{"id":"run-x"}]}`, 'Run 1 of 1 is not a valid run'],
  ])('refuses %s: %s', (text, message) => {
    expect(() => parseRunsJson(text, 'runs.json')).toThrow(ImportError);
    expect(() => parseRunsJson(text, 'runs.json')).toThrow(message);
  });

  it('refuses the whole file when one run is bad, naming the field', async () => {
    const good = await doneRun('run-a', 1);
    const bad = { ...(await doneRun('run-b', 2)), status: 'exploded' };
    const text = JSON.stringify({ format: EXPORT_FORMAT, version: 1, runs: [good, bad] });
    expect(() => parseRunsJson(text)).toThrow(/Run 2 of 2[\s\S]*status/);
    const hostileSpec = { ...good, spec: { ...good.spec, schemaVersion: 3 } };
    expect(() => parseRunsJson(JSON.stringify({ format: EXPORT_FORMAT, version: 1, runs: [hostileSpec] }))).toThrow('schema version 3');
    expect(() => parseRunsJson(JSON.stringify({ format: EXPORT_FORMAT, version: 1, runs: [good, good] }))).toThrow('repeats the id');
  });

  it('imports a run that was running elsewhere as interrupted, not running', async () => {
    const r = await record('run-z', { status: 'running' });
    expect(asImported(r)).toMatchObject({ status: 'interrupted', queuePosition: null });
    const d = await doneRun('run-d', 1);
    expect(asImported(d)).toBe(d);
  });
});

describe('CSV export', () => {
  it('one row per run: identity, flattened spec, summary metrics; quoting and formula-safe', async () => {
    const runs = [await doneRun('run-a', 1), await doneRun('run-b', 2)];
    const rows = parseCsv(runsToCsv(runs));
    expect(rows).toHaveLength(3);
    const [header, first] = rows;
    const cell = (name: string) => first[header.indexOf(name)];
    expect(header.slice(0, 5)).toEqual(['id', 'name', 'tags', 'status', 'seed']);
    expect(header).toEqual(expect.arrayContaining(['spec.etas', 'spec.seeds', 'spec.attacks.bayes.enabled', 'spec.corpus.kind', 'spec.corpus.texts', 'pUnchanged@η=5', 'attackNearestNeighbour@η=500']));
    expect(header.indexOf('pUnchanged@η=5')).toBeLessThan(header.indexOf('pUnchanged@η=50'));
    expect(header.indexOf('pUnchanged@η=50')).toBeLessThan(header.indexOf('pUnchanged@η=500'));
    expect(cell('spec.etas')).toBe('[5,50,500]');
    expect(cell('spec.attacks.bayes.enabled')).toBe('false');
    expect(cell('tags')).toBe('paper fig-2');
    expect(Number(cell('pUnchanged@η=50'))).toBeCloseTo(fakeStats(1, 50).pUnchanged.value);
    // A name that looks like a formula is written as text.
    expect(cell('name')).toBe(`'=HYPERLINK("x"), "quoted"\nline run-a`);
    expect(spec().etas).toEqual([5, 50, 500]);
  });

  it('writes cells safely', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(-1.5)).toBe('-1.5');
    expect(csvCell('-1.5')).toBe("'-1.5");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell(NaN)).toBe('');
  });
});
