import { describe, expect, it } from 'vitest';
import { privatizeSummary } from '../../src/experiments/privatizeMetrics';
import { conditionHash, specHash } from '../../src/experiments/specHash';
import { expandSweep } from '../../src/experiments/sweep';
import { describeField } from '../../src/experiments/specFields';
import { privatizeExperimentSchema, type PrivatizeExperimentSpec } from '../../src/experiments/schema';
import { newRunRecord, type RunRecord } from '../../src/storage/runRecord';
import { filterRuns, nextSort, parseTags, queryRuns, DEFAULT_QUERY } from '../../src/ui/runsTable';
import { specDiff, summaryRows } from '../../src/ui/specDiff';
import { parseListText, parseNumberText, parseScalarText, textCodecFor } from '../../src/ui/specInputs';
import { groupRuns, tradeoffPairs, tradeoffPoints } from '../../src/ui/tradeoffData';
import { fakeStats, record, spec } from './runFixtures';

/** Finished runs of a sweep (seeds × optional condition), as the queue would store them. */
async function sweepRuns(over: Record<string, unknown>): Promise<RunRecord[]> {
  const s = spec(over);
  return Promise.all(
    expandSweep(s).map(async (p, i) => {
      const statistics = (p.spec as PrivatizeExperimentSpec).etas.map((eta) => fakeStats(p.seed + (p.condition ? Number(p.condition.value) * 100 : 0), eta));
      return {
        ...newRunRecord({ id: `run-s${i}`, name: p.label, spec: p.spec, specHash: await specHash(p.spec), conditionHash: await conditionHash(p.spec), seed: p.seed, sweep: { id: 'sweep-1', label: 'tiny', index: i, total: 2, condition: p.condition }, queuePosition: i, now: `2025-01-0${i + 1}T00:00:00.000Z` }),
        status: 'done' as const,
        summary: privatizeSummary(statistics),
        results: { kind: 'privatize' as const, corpus: null, statistics, privatizedSamples: [] },
      };
    }),
  );
}

describe('runs table logic', () => {
  it('filters by words in name, #tags and status, and sorts', async () => {
    const a = await record('run-a', { name: 'Alpha test', tags: ['paper'], status: 'done', seed: 3 });
    const b = await record('run-b', { name: 'beta', tags: [], status: 'failed', seed: 1, createdAt: '2025-02-01T00:00:00.000Z' });
    expect(filterRuns([a, b], { text: 'alpha', status: 'all' }).map((r) => r.id)).toEqual(['run-a']);
    expect(filterRuns([a, b], { text: '#paper', status: 'all' }).map((r) => r.id)).toEqual(['run-a']);
    expect(filterRuns([a, b], { text: '', status: 'failed' }).map((r) => r.id)).toEqual(['run-b']);
    expect(queryRuns([a, b], { ...DEFAULT_QUERY, sort: 'seed', descending: false }).map((r) => r.id)).toEqual(['run-b', 'run-a']);
    expect(queryRuns([a, b], DEFAULT_QUERY).map((r) => r.id)).toEqual(['run-b', 'run-a']);
    expect(nextSort(DEFAULT_QUERY, 'createdAt')).toMatchObject({ sort: 'createdAt', descending: false });
    expect(nextSort(DEFAULT_QUERY, 'name')).toMatchObject({ sort: 'name', descending: false });
    expect(nextSort(DEFAULT_QUERY, 'size')).toMatchObject({ sort: 'size', descending: true });
  });

  it('parses tags', () => {
    expect(parseTags(' #paper, fig-2  paper ')).toEqual(['paper', 'fig-2']);
    expect(parseTags('x'.repeat(50))).toEqual(['x'.repeat(40)]);
  });
});

describe('compare logic', () => {
  it('marks the spec fields that differ', async () => {
    const [r1, r2] = await sweepRuns({ seeds: [1, 2] });
    const rows = specDiff([r1, r2]);
    expect(rows.filter((r) => r.differs).map((r) => r.field)).toEqual(['seed']);
    expect(rows.find((r) => r.field === 'etas')).toMatchObject({ values: ['[5,50,500]', '[5,50,500]'], differs: false });
    expect(summaryRows([r1, r2]).map((r) => r.metric).slice(0, 3)).toEqual(['attackIdentity@η=5', 'attackIdentity@η=50', 'attackIdentity@η=500']);
  });
});

describe('trade-off logic', () => {
  it('groups seeds of one condition and averages them with the standard error over seeds', async () => {
    const runs = await sweepRuns({ seeds: [1, 2] });
    expect(groupRuns(runs)).toHaveLength(1);
    const points = tradeoffPoints(runs, 'pUnchanged');
    expect(points.map((p) => p.eta)).toEqual([5, 50, 500]);
    const [a, b] = [fakeStats(1, 50).pUnchanged.value, fakeStats(2, 50).pUnchanged.value];
    const p50 = points[1];
    expect(p50.mean).toBeCloseTo((a + b) / 2);
    expect(p50.high - p50.mean).toBeCloseTo(Math.abs(a - b) / 2); // sd/√2 with n = 2 is |a − b|/2
    expect(p50).toMatchObject({ n: 2, error: 'seeds' });
  });

  it('one line per condition; a single seed uses the run’s own standard error; pairs join utility and attack', async () => {
    const runs = await sweepRuns({ seeds: [1], vary: { field: 'draws', values: [1, 2] } });
    const groups = groupRuns(runs);
    expect(groups.map((g) => g.label)).toEqual(['tiny · draws = 1', 'tiny · draws = 2']);
    const points = tradeoffPoints(runs, 'pUnchanged');
    expect(points).toHaveLength(6);
    expect(points[0]).toMatchObject({ n: 1, error: 'binomial' });
    expect(tradeoffPoints(runs, 'meanDistanceMoved')[0]).toMatchObject({ error: 'none' });
    expect(tradeoffPoints(runs, 'attackBayes')).toEqual([]);
    const pairs = tradeoffPairs(runs, 'attackNearestNeighbour', 'pUnchanged');
    expect(pairs).toHaveLength(6);
    expect(pairs[0].x.mean).toBeCloseTo(pairs[0].y.mean / 2);
  });
});

describe('builder inputs', () => {
  const tree = describeField(privatizeExperimentSchema);
  const field = (path: string) => {
    let found: ReturnType<typeof describeField> | undefined;
    const visit = (n: ReturnType<typeof describeField>) => {
      if (n.path === path) found = n;
      if (n.type === 'object') n.fields.forEach(visit);
    };
    visit(tree);
    return found!;
  };

  it('turns typed text into values, passing bad text on for the schema to name', () => {
    expect(parseNumberText('')).toBeUndefined();
    expect(parseNumberText(' 12 ')).toBe(12);
    expect(parseNumberText('1e3')).toBe(1000);
    expect(parseNumberText('12abc')).toBe('12abc');
    expect(parseNumberText('Infinity')).toBe('Infinity');
    expect(parseScalarText('true')).toBe(true);
    expect(parseScalarText('x')).toBe('x');
    expect(parseListText('5, 50,,500 ', parseNumberText)).toEqual([5, 50, 500]);
  });

  it('has a codec for every field the form edits as text', () => {
    const etas = textCodecFor(field('etas'))!;
    expect(etas.parse('5, 50, x')).toEqual([5, 50, 'x']);
    expect(etas.format([5, 50])).toBe('5, 50');
    const name = textCodecFor(field('name'))!;
    expect(name.parse('')).toBeUndefined();
    const draws = textCodecFor(field('draws'))!;
    expect(draws.placeholder).toBe('default 8');
    expect(textCodecFor(field('attacks.bayes.enabled'))).toBeNull();
  });
});
