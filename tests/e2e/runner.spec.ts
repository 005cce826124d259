// The headless runner as a user calls it: `npm run experiment -- --config spec.json --out results.json`.
import { expect, test } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

function runExperiment(spec: unknown, extraFiles: Record<string, string> = {}, timeout = 170_000) {
  const dir = mkdtempSync(join(tmpdir(), 'rapt-runner-'));
  const config = join(dir, 'spec.json');
  writeFileSync(config, typeof spec === 'string' ? spec : JSON.stringify(spec));
  for (const [name, text] of Object.entries(extraFiles)) writeFileSync(join(dir, name), text);
  const out = join(dir, 'results.json');
  const r = spawnSync('npx', ['tsx', 'scripts/experiment.ts', '--config', config, '--out', out], { cwd: root, encoding: 'utf8', timeout });
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
  expect(missing.stderr).toContain('cannot read the data file /nonexistent/x.tsv');
  const missingTrain = runExperiment({ schemaVersion: 2, kind: 'train', data: { train: { kind: 'file', path: '/nonexistent/train.tsv' } }, seeds: [1] });
  expect(missingTrain.status).toBe(2);
  expect(missingTrain.stderr).toContain('cannot read the data file /nonexistent/train.tsv');

  const dir = mkdtempSync(join(tmpdir(), 'rapt-corpus-'));
  const file = join(dir, 'c.csv');
  writeFileSync(file, 'text,label\nhello there,1\n');
  const wrongColumn = runExperiment({ schemaVersion: 1, kind: 'privatize', corpus: { kind: 'file', path: file, textColumn: 'nope' }, etas: [10], seed: 1 });
  expect(wrongColumn.status).toBe(2);
  expect(wrongColumn.stderr).toContain('nope');
});

test('a compare experiment trains every condition and reproduces its numbers bit for bit', async () => {
  test.setTimeout(400_000);
  const words = ['good', 'great', 'wonderful', 'bad', 'awful', 'dull', 'movie', 'film', 'plot', 'the', 'a', 'very', 'not'];
  const rows = Array.from({ length: 40 }, (_, i) => `${words[9 + (i % 4)]} ${words[(i * 7) % 13]} ${words[6 + (i % 3)]} ${words[(i * 5) % 6]}\t${(i * 5) % 6 < 3 ? 1 : 0}`);
  const dir = mkdtempSync(join(tmpdir(), 'rapt-train-'));
  writeFileSync(join(dir, 'train.tsv'), `sentence\tlabel\n${rows.slice(0, 30).join('\n')}\n\t1\n`);
  writeFileSync(join(dir, 'dev.tsv'), `sentence\tlabel\n${rows.slice(30).join('\n')}\n`);
  const file = (name: string) => ({ kind: 'file', path: join(dir, name), textColumn: 'sentence', labelColumn: 'label' });
  const spec = {
    schemaVersion: 2,
    kind: 'compare',
    data: { train: file('train.tsv'), dev: file('dev.tsv'), trainSize: 16, devSize: 8 },
    seeds: [4],
    conditions: ['clean-prompt-tuning', 'prompt-tuning', 'rapt', 'rapt-per-example', 'linear-probe'],
    etas: [10],
    prompt: { length: 2 },
    rapt: { plainTokens: 2, lambda: 1, width: 8, targetVocab: null },
    training: { epochs: 1, batchSize: 8, lr: 0.01, promptLr: 0.01, warmupFraction: 0, weightDecay: 0.01, maxGradNorm: 1, maxTokens: 12, evalsPerEpoch: 1, initialEvaluation: false },
  };
  const r = runExperiment(spec, {}, 190_000);
  expect(r.status, r.stderr).toBe(0);
  const result = JSON.parse(readFileSync(r.out, 'utf8'));
  expect(result.kind).toBe('compare');
  expect(result.data.train).toMatchObject({ rows: 30, used: 16, badRows: 1 });
  expect(result.data.dev.used).toBe(8);
  expect(result.cells).toHaveLength(5);
  expect(result.table.map((row: { condition: string; eta: number | null }) => `${row.condition}:${row.eta}`)).toEqual([
    'clean-prompt-tuning:null', 'prompt-tuning:10', 'rapt:10', 'rapt-per-example:10', 'linear-probe:null',
  ]);
  for (const cell of result.cells) {
    expect(cell.result.steps).toBe(2);
    expect(cell.result.history.length).toBeGreaterThan(0);
    expect(cell.result.accuracy).toBeGreaterThanOrEqual(0);
    expect(cell.result.devExamples).toBe(8);
  }
  const byCondition = Object.fromEntries(result.cells.map((c: { condition: string; result: unknown }) => [c.condition, c.result]));
  expect(byCondition['clean-prompt-tuning'].changedFraction).toBe(0);
  expect(byCondition['prompt-tuning'].changedFraction).toBeGreaterThan(0.5);
  expect(byCondition.rapt.plainTokens).toHaveLength(2);
  expect(byCondition.rapt.history[0].lossRec).toBeGreaterThan(0);
  expect(byCondition['prompt-tuning'].history[0].lossRec).toBeNull();
  expect(byCondition['linear-probe'].shape.promptLength).toBe(0);
  // Same spec, same seed: every loss and accuracy identical.
  const again = runExperiment(spec, {}, 190_000);
  expect(again.status, again.stderr).toBe(0);
  const strip = (x: { cells: { result: { history: object[]; evals: object[]; accuracy: number } }[] }) =>
    x.cells.map((c) => ({ accuracy: c.result.accuracy, evals: c.result.evals.map((e) => ({ ...e })), history: c.result.history.map((h) => ({ ...h, examplesPerSecond: 0 })) }));
  expect(strip(JSON.parse(readFileSync(again.out, 'utf8')))).toEqual(strip(result));
});
