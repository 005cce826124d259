// What the workspace shows of train and compare runs, as plain data: learning curves, the compare table and
// its accuracy-vs-η plot data, the trade-off view's accuracy groups, the runs table's columns and sorting,
// the CSV export, and the builder form's walk of the training schema (share links: shareLink.test.ts).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { compareExperimentSchema, experimentSpecSchema, parseExperimentSpec, trainExperimentSchema } from '../../src/experiments/schema';
import { describeField, walkFields, withoutDefaults, type FieldNode } from '../../src/experiments/specFields';
import { DEMO_TRAIN_SPEC } from '../../src/experiments/trainingDefaults';
import { runsToCsv } from '../../src/storage/exportRuns';
import { RunQueue } from '../../src/storage/runQueue';
import type { RunRecord } from '../../src/storage/runRecord';
import { memoryBackend, RunStore } from '../../src/storage/runStore';
import { accuracyText, conditionText, etaText, progressText } from '../../src/ui/runFormat';
import { filterRuns, queryRuns, DEFAULT_QUERY } from '../../src/ui/runsTable';
import { specDiff } from '../../src/ui/specDiff';
import { textCodecFor } from '../../src/ui/specInputs';
import { accuracyAttackPairs, accuracyCurves, accuracyGroups, accuracyTradeoff, compareAccuracyData, compareRunRows, hasTrainedRuns, lossCurves, TRAIN_SERIES } from '../../src/ui/trainingData';
import { compareSpec, FakeEngine, fakeAccuracy, fakeStats, lease, plannedRuns, record, trainingData, trainSpec } from './runFixtures';

beforeAll(() => {
  if (typeof navigator === 'undefined') vi.stubGlobal('navigator', { userAgent: 'node test' });
});
afterAll(() => vi.unstubAllGlobals());

/** Runs executed by the queue with the fake engine, as the workspace would store them. */
async function executed(specs: Parameters<typeof plannedRuns>[0][]): Promise<RunRecord[]> {
  const { store } = await RunStore.open(memoryBackend());
  const engine = new FakeEngine();
  const queue = new RunQueue({ store, acquire: async () => lease(engine), loadCorpus: async (s) => ({ name: 'inline', texts: s.corpus.kind === 'inline' ? s.corpus.texts : [], badRows: [] }), loadTrainingData: async () => trainingData() });
  const ids: string[] = [];
  for (const s of specs) ids.push(...(await queue.enqueue(plannedRuns(s), s.name ?? 'x')).map((r) => r.id));
  await queue.idle();
  return ids.map((id) => store.get(id)!);
}

describe('train run views', () => {
  it('learning curves: task and reconstruction loss, dev and train accuracy, by step', async () => {
    const [run] = await executed([trainSpec()]);
    if (run.results.kind !== 'train') throw new Error('expected a train run');
    const loss = lossCurves(run.history);
    expect(loss.filter((p) => p.series === TRAIN_SERIES.lossTask.name).map((p) => [p.step, p.value])).toEqual([[1, 1], [2, 0.5], [3, 1 / 3], [4, 0.25]]);
    expect(loss.filter((p) => p.series === TRAIN_SERIES.lossRec.name)).toHaveLength(4);
    const acc = accuracyCurves(run.history, run.results.evals);
    expect(acc.filter((p) => p.series === TRAIN_SERIES.devAccuracy.name).map((p) => p.step)).toEqual([0, 2, 4]);
    expect(acc.filter((p) => p.series === TRAIN_SERIES.recAccuracy.name)).toHaveLength(4);
  });

  it('runs table columns: kind, condition, η, progress and accuracy for every kind; filter and sort by them', async () => {
    const [train, clean, compare, privatize] = await executed([trainSpec(), trainSpec({ condition: 'linear-probe', name: 'probe' }), compareSpec({ seeds: [1] }), (await record('run-p')).spec as Parameters<typeof plannedRuns>[0]]);
    expect([train, clean, compare, privatize].map((r) => r.spec.kind)).toEqual(['train', 'train', 'compare', 'privatize']);
    expect(progressText(train)).toBe('4 steps');
    expect(progressText(compare)).toBe('3 of 3 cells');
    expect(progressText(privatize)).toBe('3 of 3 η');
    expect(conditionText(train)).toBe('RAPT');
    expect(conditionText(compare)).toBe('clean prompt tuning, RAPT');
    expect(etaText(train)).toBe('20');
    expect(etaText(clean)).toBe('clean');
    expect(etaText(compare)).toBe('5, 50');
    expect(accuracyText(train)).toBe(`${(100 * fakeAccuracy('rapt', 20, 1)).toFixed(1)}%`);
    expect(accuracyText(privatize)).toBe('—');
    expect(accuracyText(compare)).toMatch(/^\d+\.\d–\d+\.\d%$/);
    const best = queryRuns([privatize, train, clean, compare], { ...DEFAULT_QUERY, sort: 'accuracy', descending: true }).map((r) => r.id);
    // The clean probe and the compare run's clean row tie at the top; RAPT at η 20 is below; no accuracy is last.
    expect(best.slice(2)).toEqual([train.id, privatize.id]);
    expect(filterRuns([privatize, train, clean, compare], { text: 'rapt', status: 'all' }).map((r) => r.id)).toEqual([train.id, compare.id]);
    expect(filterRuns([privatize, train, clean, compare], { text: 'compare', status: 'all' }).map((r) => r.id)).toEqual([compare.id]);
  });

  it('a run in progress shows its step and latest accuracy', async () => {
    const r = await record('run-live');
    const live: RunRecord = { ...r, spec: trainSpec(), status: 'running', results: { kind: 'train', data: null, live: { phase: 'training', step: 3, totalSteps: 8, examplesPerSecond: 12, etaSeconds: 40, cell: '' }, evals: [{ step: 2, epoch: 1, accuracy: 0.625, loss: 0.7, examples: 8 }], outcome: null, plainTokenText: null } };
    expect(progressText(live)).toBe('step 3 of 8');
    expect(accuracyText(live)).toBe('latest 62.5%');
  });
});

describe('compare run views', () => {
  it('the results table and accuracy vs η: privatised conditions over η, clean ones as reference lines', async () => {
    const [run] = await executed([compareSpec()]);
    const rows = compareRunRows(run);
    expect(rows.map((r) => [r.condition, r.eta])).toEqual([['clean-prompt-tuning', null], ['rapt', 5], ['rapt', 50]]);
    expect(rows[2].accuracies).toEqual([fakeAccuracy('rapt', 50, 1), fakeAccuracy('rapt', 50, 2)]);
    const data = compareAccuracyData(rows, ['clean-prompt-tuning', 'rapt']);
    expect(data.series.map((s) => s.name)).toEqual(['clean prompt tuning', 'RAPT']);
    expect(data.references).toHaveLength(1);
    expect(data.references[0].series).toBe('clean prompt tuning');
    expect(data.points.map((p) => p.eta)).toEqual([5, 50]);
    expect(data.points[1].high - data.points[1].mean).toBeCloseTo(rows[2].std);
  });

  it('fills in as cells finish (a run with no cells has an empty table and every legend entry)', () => {
    const data = compareAccuracyData([], ['rapt', 'linear-probe']);
    expect(data.points).toEqual([]);
    expect(data.series.map((s) => s.name)).toEqual(['RAPT', 'linear probe (clean)']);
  });
});

describe('trade-off with trained models', () => {
  it('groups train runs that differ in seed and η into one line per condition, with error bars over seeds', async () => {
    const runs = await executed([
      trainSpec({ eta: 5, seeds: [1, 2] }),
      trainSpec({ eta: 50, seeds: [1, 2] }),
      trainSpec({ condition: 'clean-prompt-tuning', seeds: [1, 2] }),
    ]);
    expect(hasTrainedRuns(runs)).toBe(true);
    const groups = accuracyGroups(runs);
    expect(groups.map((g) => [g.condition, g.values.length])).toEqual([['clean-prompt-tuning', 2], ['rapt', 4]]);
    const { points, references } = accuracyTradeoff(runs);
    expect(points.map((p) => [p.eta, p.n])).toEqual([[5, 2], [50, 2]]);
    const [a, b] = [fakeAccuracy('rapt', 50, 1), fakeAccuracy('rapt', 50, 2)];
    expect(points[1].mean).toBeCloseTo((a + b) / 2);
    expect(points[1].high - points[1].mean).toBeCloseTo(Math.abs(a - b) / 2);
    expect(references).toHaveLength(1);
    expect(references[0]).toMatchObject({ eta: null, n: 2 });
  });

  it('pairs accuracy with attack success measured by privatize runs at the same η', async () => {
    const privatize = (await record('run-p', { status: 'done' })) as RunRecord;
    const statistics = [5, 50, 500].map((eta) => fakeStats(1, eta));
    const withStats: RunRecord = { ...privatize, results: { kind: 'privatize', corpus: null, statistics, privatizedSamples: [] } };
    const trained = await executed([trainSpec({ eta: 50 }), trainSpec({ eta: 20, name: 'other' })]);
    const pairs = accuracyAttackPairs([withStats, ...trained], 'attackNearestNeighbour');
    expect(pairs).toHaveLength(1);
    expect(pairs[0].eta).toBe(50);
    expect(pairs[0].x.mean).toBeCloseTo(fakeStats(1, 50).attacks.nearestNeighbour.value);
    expect(pairs[0].y.mean).toBeCloseTo(fakeAccuracy('rapt', 50, 1));
    expect(hasTrainedRuns([withStats])).toBe(false);
  });
});

describe('export and compare of mixed runs', () => {
  it('CSV: one header for every kind, with the kind and the training metrics', async () => {
    const runs = [await record('run-p', { status: 'done' }), ...(await executed([trainSpec(), compareSpec({ seeds: [1] })]))];
    const [header, ...rows] = runsToCsv(runs).trim().split('\r\n').map((l) => l.split(','));
    expect(header.slice(0, 6)).toEqual(['id', 'name', 'tags', 'status', 'seed', 'kind']);
    expect(header).toEqual(expect.arrayContaining(['spec.condition', 'spec.eta', 'spec.training.epochs', 'spec.etas', 'accuracy', 'steps', 'accuracy[rapt]@η=5']));
    expect(rows.map((r) => r[header.indexOf('kind')])).toEqual(['privatize', 'train', 'compare']);
    expect(Number(rows[1][header.indexOf('accuracy')])).toBeCloseTo(fakeAccuracy('rapt', 20, 1));
    expect(rows[0][header.indexOf('accuracy')]).toBe('');
  });

  it('the spec diff lists fields of both kinds', async () => {
    const runs = [await record('run-p'), ...(await executed([trainSpec()]))];
    const rows = specDiff(runs);
    expect(rows.find((r) => r.field === 'kind')).toMatchObject({ values: ['privatize', 'train'], differs: true });
    expect(rows.find((r) => r.field === 'condition')).toMatchObject({ values: [undefined, 'rapt'], differs: true });
  });
});

describe('the builder form for training experiments', () => {
  it('the schema walk describes the train and compare forms, the "none" of a nullable field included', () => {
    const byPath = (tree: FieldNode) => {
      const m = new Map<string, FieldNode>();
      walkFields(tree, (n) => m.set(n.path, n));
      return m;
    };
    const train = byPath(describeField(trainExperimentSchema));
    expect(train.get('condition')).toMatchObject({ type: 'enum', defaultValue: 'rapt' });
    const dev = train.get('data.dev')!;
    expect(dev).toMatchObject({ type: 'union', nullable: true, defaultValue: null });
    expect(dev.type === 'union' && dev.options.map((o) => o.value)).toEqual(['bundled', 'file']);
    const targetVocab = train.get('rapt.targetVocab')!;
    expect(targetVocab).toMatchObject({ type: 'number', nullable: true, defaultValue: null });
    expect(textCodecFor(targetVocab)!.parse('')).toBeUndefined();
    expect(textCodecFor(targetVocab)!.placeholder).toBe('default: none');
    const compare = byPath(describeField(compareExperimentSchema));
    expect(compare.get('conditions')).toMatchObject({ type: 'array', element: { type: 'enum' } });
    const union = describeField(experimentSpecSchema);
    expect(union.type === 'union' && union.options.map((o) => o.value)).toEqual(['privatize', 'train', 'compare']);
    // Without its defaults a train spec parses back to itself.
    const spec = parseExperimentSpec(DEMO_TRAIN_SPEC);
    expect(parseExperimentSpec(withoutDefaults(union, spec))).toEqual(spec);
  });
});
