// The headless runner as a user calls it: `npm run experiment -- --config spec.json --out results.json`.
import { expect, test } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

function runExperiment(spec: unknown, extraFiles: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'rapt-runner-'));
  const config = join(dir, 'spec.json');
  writeFileSync(config, typeof spec === 'string' ? spec : JSON.stringify(spec));
  for (const [name, text] of Object.entries(extraFiles)) writeFileSync(join(dir, name), text);
  const out = join(dir, 'results.json');
  const r = spawnSync('npx', ['tsx', 'scripts/experiment.ts', '--config', config, '--out', out], { cwd: root, encoding: 'utf8', timeout: 170_000 });
  return { status: r.status, stderr: r.stderr, out, dir };
}

test('a privatize experiment on a local TSV file writes per-η statistics', async () => {
  const tsv = 'sentence\tlabel\nthe movie was wonderful\t1\na dull , lifeless film\t0\nbad\trow\textra\nI loved every minute of it\t1\n';
  const dir = mkdtempSync(join(tmpdir(), 'rapt-corpus-'));
  const corpus = join(dir, 'tiny.tsv');
  writeFileSync(corpus, tsv);
  const spec = {
    schemaVersion: 1, kind: 'privatize', corpus: { kind: 'file', path: corpus, textColumn: 'sentence' },
    etas: [5, 1e6], seed: 3, sampleSize: 10, draws: 2, attacks: { bayes: { enabled: true, candidates: 3, draws: 4, observations: 6 } },
  };
  const r = runExperiment(spec);
  expect(r.status, r.stderr).toBe(0);
  const result = JSON.parse(readFileSync(r.out, 'utf8'));
  expect(result.corpus.sentences).toBe(3);
  expect(result.corpus.badRows).toBe(1);
  expect(result.statistics).toHaveLength(2);
  const [noisy, clean] = result.statistics;
  expect(clean.pUnchanged.value).toBe(1);
  expect(noisy.pUnchanged.value).toBeLessThan(0.5);
  expect(noisy.attacks.bayes.n).toBe(6);
  expect(result.environment.adapter.vendor).toBeTruthy();
  // Same seed, same numbers.
  const again = runExperiment(spec);
  expect(JSON.parse(readFileSync(again.out, 'utf8')).statistics.map((s: { pUnchanged: unknown }) => s.pUnchanged)).toEqual(
    result.statistics.map((s: { pUnchanged: unknown }) => s.pUnchanged),
  );
});

test('bad specs and unreadable files give a clear error and a non-zero exit', async () => {
  const notJson = runExperiment('{ not json');
  expect(notJson.status).toBe(2);
  expect(notJson.stderr).toContain('cannot read the spec');

  const invalid = runExperiment({ schemaVersion: 1, kind: 'privatize', corpus: { kind: 'bundled' }, etas: [-1], seed: 1.5 });
  expect(invalid.status).toBe(2);
  expect(invalid.stderr).toContain('etas.0');
  expect(invalid.stderr).toContain('seed');

  const future = runExperiment({ schemaVersion: 99, kind: 'privatize' });
  expect(future.status).toBe(2);
  expect(future.stderr).toContain('schema version 99');

  const missing = runExperiment({ schemaVersion: 1, kind: 'privatize', corpus: { kind: 'file', path: '/nonexistent/x.tsv' }, etas: [10], seed: 1 });
  expect(missing.status).toBe(2);
  expect(missing.stderr).toContain('cannot read the corpus file');

  const dir = mkdtempSync(join(tmpdir(), 'rapt-corpus-'));
  const file = join(dir, 'c.csv');
  writeFileSync(file, 'text,label\nhello there,1\n');
  const wrongColumn = runExperiment({ schemaVersion: 1, kind: 'privatize', corpus: { kind: 'file', path: file, textColumn: 'nope' }, etas: [10], seed: 1 });
  expect(wrongColumn.status).toBe(2);
  expect(wrongColumn.stderr).toContain('nope');
});
