// Train and compare runs in the workspace: their stored records (validated, old records still valid,
// hostile ones refused), and the queue executing them through the training drivers — progress and curves
// saved as they come, checkpoints for resume, cancel, and a reload that leaves a resumable run.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseExperimentSpec } from '../../src/experiments/schema';
import { DEMO_COMPARE_SPEC, DEMO_TRAIN_SPEC } from '../../src/experiments/trainingDefaults';
import { checkpointKey, memoryCheckpointStore, pruneCheckpoints, readCheckpoint } from '../../src/storage/checkpointStore';
import { EXPORT_FORMAT, ImportError, parseRunsJson, runsToJson } from '../../src/storage/exportRuns';
import { recoverInterrupted, RunQueue } from '../../src/storage/runQueue';
import { isCompareRun, isTrainRun, parseRunRecord, RunRecordError, type CompareRun, type RunRecord, type TrainRun } from '../../src/storage/runRecord';
import { memoryBackend, RunStore } from '../../src/storage/runStore';
import { compareRows, curveOfHistory } from '../../src/storage/trainingResults';
import { compareSpec, FakeEngine, fakeAccuracy, lease, plannedRuns, record, trainingData, trainSpec } from './runFixtures';

// The drivers record the browser; Node 20 has no navigator.
beforeAll(() => {
  if (typeof navigator === 'undefined') vi.stubGlobal('navigator', { userAgent: 'node test' });
});
afterAll(() => vi.unstubAllGlobals());

async function setup(engine = new FakeEngine(), backend = memoryBackend(), checkpoints = memoryCheckpointStore(), options: { paused?: boolean } = {}) {
  const { store } = await RunStore.open(backend);
  const queue = new RunQueue(
    {
      store,
      acquire: async () => lease(engine),
      loadCorpus: async () => ({ name: 'none', texts: [], badRows: [] }),
      loadTrainingData: async () => trainingData(),
      checkpoints,
      tokenText: async (ids) => ids.map((id) => `▁piece${id}`),
      isInterruption: (e) => (e as Error).name === 'GpuError',
    },
    options,
  );
  return { store, queue, engine, backend, checkpoints };
}

const trainRun = (r: RunRecord | undefined): TrainRun => {
  if (!r || !isTrainRun(r)) throw new Error('not a train run');
  return r;
};
const compareRun = (r: RunRecord | undefined): CompareRun => {
  if (!r || !isCompareRun(r)) throw new Error('not a compare run');
  return r;
};

/** A privatize record exactly as the first workspace release stored it (recordVersion 1, before training). */
const OLD_PRIVATIZE_RECORD = {
  recordVersion: 1,
  id: 'run-lx2k9a-3f9c1e',
  name: 'd_chi on the bundled IMDB sentences · seed 1',
  tags: ['paper'],
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:01:00.000Z',
  startedAt: '2025-01-01T00:00:01.000Z',
  finishedAt: '2025-01-01T00:01:00.000Z',
  spec: { schemaVersion: 1, kind: 'privatize', name: 'd_chi', corpus: { kind: 'bundled' }, etas: [10], seed: 1, sampleSize: 20, draws: 2, attacks: { bayes: { enabled: false } } },
  specHash: 'a'.repeat(64),
  conditionHash: 'b'.repeat(64),
  seed: 1,
  sweep: null,
  queuePosition: null,
  environment: null,
  status: 'done',
  failure: null,
  progress: { fraction: 1, stage: 'done' },
  seconds: 12.5,
  interruptions: 0,
  history: [{ step: 0, epoch: null, at: '2025-01-01T00:00:30.000Z', metrics: { eta: 10, pUnchanged: 0.1 } }],
  summary: { 'pUnchanged@η=10': 0.1 },
  attacks: [],
  checkpoint: { kind: 'privatize-etas', key: 'run-lx2k9a-3f9c1e#results.statistics', step: 1, savedAt: '2025-01-01T00:00:30.000Z' },
  results: { kind: 'privatize', corpus: { name: 'IMDB sentences (demo)', sentences: 2000, sampled: 20, badRows: 0 }, statistics: [], privatizedSamples: [] },
};

describe('stored training runs', () => {
  it('an old privatize record (saved before training existed) still loads, its spec migrated', () => {
    const run = parseRunRecord(structuredClone(OLD_PRIVATIZE_RECORD));
    expect(run.spec.kind).toBe('privatize');
    expect(run.spec.seeds).toEqual([1]);
    expect(run.results.kind).toBe('privatize');
    expect(run.summary).toEqual({ 'pUnchanged@η=10': 0.1 });
  });

  it('the demo specs are valid experiments', () => {
    expect(parseExperimentSpec(DEMO_TRAIN_SPEC)).toMatchObject({ kind: 'train', condition: 'rapt', eta: 20, data: { dev: null, devSize: 200 }, training: { epochs: 2, batchSize: 16, maxTokens: 32 } });
    expect(parseExperimentSpec(DEMO_COMPARE_SPEC)).toMatchObject({ kind: 'compare', etas: [20, 80] });
  });

  it('a finished train run round-trips through JSON export and import', async () => {
    const { store, queue } = await setup();
    const [queued] = await queue.enqueue(plannedRuns(trainSpec()), 'tiny');
    await queue.idle();
    const run = store.get(queued.id)!;
    const back = parseRunsJson(runsToJson([run], 'test'));
    expect(back).toEqual([run]);
  });

  it.each([
    ['results of another kind', (r: Record<string, unknown>) => ({ ...r, results: OLD_PRIVATIZE_RECORD.results }), 'cannot hold privatize results'],
    ['an accuracy above 1', (r: Record<string, unknown>) => ({ ...r, results: { ...(r.results as object), evals: [{ step: 0, epoch: 0, accuracy: 2, loss: 1, examples: 8 }] } }), 'results.evals.0.accuracy'],
    ['markup where a number belongs', (r: Record<string, unknown>) => ({ ...r, history: [{ step: 0, epoch: 0, at: '2025-01-01T00:00:00.000Z', metrics: { lossTask: '<img src=x onerror=alert(1)>' } }] }), 'history.0.metrics.lossTask'],
    ['an unknown condition', (r: Record<string, unknown>) => ({ ...r, results: { ...(r.results as object), outcome: { condition: 'exfiltrate' } } }), 'results.outcome'],
    ['an unknown results field', (r: Record<string, unknown>) => ({ ...r, results: { ...(r.results as object), weights: [1, 2, 3] } }), 'weights'],
  ])('refuses a train record with %s, with a message', async (_what, mutate, message) => {
    const { store, queue } = await setup();
    const [queued] = await queue.enqueue(plannedRuns(trainSpec()), 'tiny');
    await queue.idle();
    const bad = mutate(structuredClone(store.get(queued.id)!) as unknown as Record<string, unknown>);
    expect(() => parseRunRecord(bad)).toThrow(RunRecordError);
    expect(() => parseRunRecord(bad)).toThrow(message);
    const file = JSON.stringify({ format: EXPORT_FORMAT, version: 1, runs: [bad] });
    expect(() => parseRunsJson(file, 'hostile.json')).toThrow(ImportError);
    expect(() => parseRunsJson(file, 'hostile.json')).toThrow('hostile.json was not imported');
  });

  it('a stored checkpoint is read only if it has a checkpoint’s shape', () => {
    const good = { step: 2, params: { prompt: new Float32Array(3) }, adam: { m: { prompt: new Float32Array(3) }, v: { prompt: new Float32Array(3) } }, history: [{ step: 1 }], evals: [{ step: 0, accuracy: 0.5 }], seconds: 1 };
    expect(readCheckpoint(good)).toBe(good);
    expect(readCheckpoint({ ...good, params: { prompt: [1, 2, 3] } })).toBeNull();
    expect(readCheckpoint({ ...good, step: -1 })).toBeNull();
    expect(readCheckpoint('x')).toBeNull();
    expect(readCheckpoint(null)).toBeNull();
  });

  it('prunes checkpoints no run needs', async () => {
    const checkpoints = memoryCheckpointStore();
    await checkpoints.set('train/run-a', { step: 1, params: {}, adam: { m: {}, v: {} }, history: [], evals: [], seconds: 0 });
    await checkpoints.set('train/run-b', { step: 1, params: {}, adam: { m: {}, v: {} }, history: [], evals: [], seconds: 0 });
    expect(await pruneCheckpoints(checkpoints, new Set(['train/run-a']))).toEqual(['train/run-b']);
    expect(await checkpoints.keys()).toEqual(['train/run-a']);
  });
});

describe('the queue runs train experiments', () => {
  it('stores the learning curve, evaluations, final metrics and plain tokens; the checkpoint goes when done', async () => {
    const { store, queue, engine, checkpoints } = await setup();
    const [queued] = await queue.enqueue(plannedRuns(trainSpec()), 'tiny');
    await queue.idle();
    const run = trainRun(store.get(queued.id));
    expect(run.status).toBe('done');
    expect(engine.trainer.requests).toHaveLength(1);
    expect(engine.trainer.requests[0]).toMatchObject({ condition: 'rapt', eta: 20, seed: 1, promptLength: 2, settings: { epochs: 2, batchSize: 8 } });
    expect(engine.trainer.requests[0].train).toHaveLength(16);
    expect(engine.trainer.requests[0].dev).toHaveLength(8);
    // One history point per step, as a learning curve; the NaN gradient norm of step 1 is stored as null.
    const curve = curveOfHistory(run.history);
    expect(curve.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect(curve[0]).toMatchObject({ lossTask: 1, lossRec: 2, gradNorm: null, recAccuracy: 0.25, examplesPerSecond: 100 });
    expect(run.results.evals.map((e) => e.step)).toEqual([0, 2, 4]);
    const accuracy = fakeAccuracy('rapt', 20, 1);
    expect(run.results.outcome).toMatchObject({ condition: 'rapt', eta: 20, steps: 4, trainExamples: 16, devExamples: 8, plainTokens: [11, 12], changedFraction: 0.05 });
    expect(run.results.outcome!.accuracy).toBeCloseTo(accuracy);
    expect(run.summary.accuracy).toBeCloseTo(accuracy);
    expect(run.summary).toMatchObject({ steps: 4, trainedParameters: 1234, changedFraction: 0.05 });
    expect(run.results.plainTokenText).toEqual(['▁piece11', '▁piece12']);
    expect(run.results.data).toMatchObject({ train: { name: 'tiny sentences', rows: 40, used: 16 }, dev: { used: 8 }, labelNames: ['negative', 'positive'] });
    expect(run.results.live).toBeNull();
    expect(run.checkpoint).toBeNull();
    expect(checkpoints.data.size).toBe(0);
    expect(run.progress).toEqual({ fraction: 1, stage: 'done' });
    // A clean condition has no η.
    const [clean] = await queue.enqueue(plannedRuns(trainSpec({ condition: 'clean-prompt-tuning', name: 'clean' })), 'clean');
    await queue.idle();
    expect(trainRun(store.get(clean.id)).results.outcome).toMatchObject({ eta: null, plainTokens: null, changedFraction: 0 });
  });

  it('a reload mid-run leaves it interrupted with its checkpoint; resuming continues from that step and ends as an uninterrupted run', async () => {
    const backend = memoryBackend();
    const checkpoints = memoryCheckpointStore();
    const first = await setup(new FakeEngine(), backend, checkpoints);
    first.engine.trainer.holdAt(3);
    const [queued] = await first.queue.enqueue(plannedRuns(trainSpec({ seeds: [7] })), 'tiny');
    await first.engine.trainer.reached;
    await first.store.flush();
    // The page goes away here.
    const mid = trainRun(first.store.get(queued.id));
    expect(mid.checkpoint).toMatchObject({ kind: 'train-weights', key: checkpointKey(queued.id), step: 2 });
    expect(mid.results.live).toMatchObject({ phase: 'training', step: 3, totalSteps: 4 });
    expect(checkpoints.data.has(checkpointKey(queued.id))).toBe(true);

    const second = await setup(new FakeEngine(), backend, checkpoints, { paused: true });
    await recoverInterrupted(second.store);
    const stored = trainRun(second.store.get(queued.id));
    expect(stored.status).toBe('interrupted');
    expect(curveOfHistory(stored.history).map((p) => p.step)).toEqual([1, 2, 3]);
    expect(stored.results.evals.map((e) => e.step)).toEqual([0, 2]);

    await second.queue.resume([queued.id]);
    await second.queue.idle();
    expect(second.engine.trainer.requests).toHaveLength(1);
    expect(second.engine.trainer.requests[0].resume?.step).toBe(2);
    expect(second.engine.trainer.requests[0].resume?.params.prompt).toEqual(new Float32Array([2, 1, 2]));
    const done = trainRun(second.store.get(queued.id));
    expect(done.status).toBe('done');
    expect(done.interruptions).toBe(1);
    expect(curveOfHistory(done.history).map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect(done.results.evals.map((e) => e.step)).toEqual([0, 2, 4]);
    expect(done.results.outcome!.accuracy).toBeCloseTo(fakeAccuracy('rapt', 20, 7));
    expect(checkpoints.data.size).toBe(0);
  });

  it('without its checkpoint (another browser, a cleared database) a resumed run starts again from step 0', async () => {
    const { store, queue, engine } = await setup();
    const r = await record('run-orphan');
    const spec = trainSpec();
    await store.restore([{ ...r, spec, status: 'interrupted', queuePosition: null, checkpoint: { kind: 'train-weights', key: checkpointKey('run-orphan'), step: 2, savedAt: r.createdAt }, results: { kind: 'train', data: null, live: null, evals: [], outcome: null, plainTokenText: null } }]);
    await queue.resume(['run-orphan']);
    await queue.idle();
    expect(engine.trainer.requests[0].resume).toBeUndefined();
    expect(trainRun(store.get('run-orphan')).status).toBe('done');
  });

  it('never resumes from another run’s checkpoint (a hostile import pointing at it)', async () => {
    const { store, queue, engine, checkpoints } = await setup();
    await checkpoints.set(checkpointKey('run-victim'), { step: 2, params: { prompt: new Float32Array(3) }, adam: { m: {}, v: {} }, history: [], evals: [], seconds: 0 });
    const r = await record('run-thief');
    await store.restore([{ ...r, spec: trainSpec(), status: 'interrupted', queuePosition: null, checkpoint: { kind: 'train-weights', key: checkpointKey('run-victim'), step: 2, savedAt: r.createdAt }, results: { kind: 'train', data: null, live: null, evals: [], outcome: null, plainTokenText: null } }]);
    await queue.resume(['run-thief']);
    await queue.idle();
    expect(engine.trainer.requests[0].resume).toBeUndefined();
  });

  it('does not resume weights trained on another model than the one loaded now', async () => {
    const { store, queue, engine, checkpoints } = await setup();
    engine.trainer.holdAt(3);
    const [a] = await queue.enqueue(plannedRuns(trainSpec()), 'x');
    await engine.trainer.reached;
    await queue.cancel([a.id]);
    await queue.idle();
    expect(checkpoints.data.has(checkpointKey(a.id))).toBe(true);
    const stopped = store.get(a.id)!;
    // As if the previous attempt had trained a BERT checkpoint loaded in the Models panel.
    await store.save({ ...stopped, environment: { ...stopped.environment!, model: { id: 'hub:bert-tiny', name: 'bert-tiny', vocabSize: 30522, embeddingDim: 128, candidateCount: 30000 } } }, 'now');
    await queue.resume([a.id]);
    await queue.idle();
    expect(engine.trainer.requests.at(-1)!.resume).toBeUndefined();
    expect(trainRun(store.get(a.id)).status).toBe('done');
  });

  it('cancel stops training at the next step (engine.cancel), keeps the checkpoint, and the run resumes from it', async () => {
    const { store, queue, engine } = await setup();
    engine.trainer.holdAt(3);
    const [a] = await queue.enqueue(plannedRuns(trainSpec()), 'x');
    await engine.trainer.reached;
    await queue.cancel([a.id]);
    await queue.idle();
    expect(engine.trainer.cancelled).toBe(true);
    const cancelled = trainRun(store.get(a.id));
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.checkpoint?.step).toBe(2);
    await queue.resume([a.id]);
    await queue.idle();
    expect(engine.trainer.requests.at(-1)!.resume?.step).toBe(2);
    expect(trainRun(store.get(a.id)).status).toBe('done');
  });

  it('a training failure is recorded with its reason; a lost GPU leaves the run interrupted', async () => {
    const { store, queue, engine } = await setup();
    engine.trainer.failWith = Object.assign(new Error('out of memory'), { name: 'RangeError' });
    const [a] = await queue.enqueue(plannedRuns(trainSpec()), 'x');
    await queue.idle();
    expect(store.get(a.id)).toMatchObject({ status: 'failed', failure: { name: 'RangeError', message: 'out of memory' } });
    engine.trainer.failWith = Object.assign(new Error('The GPU device was lost'), { name: 'GpuError' });
    const [b] = await queue.enqueue(plannedRuns(trainSpec({ name: 'b' })), 'x');
    await queue.idle();
    expect(store.get(b.id)).toMatchObject({ status: 'interrupted', failure: { name: 'GpuError' } });
  });

  it('data too small for the hold-out fails with the reason before any training', async () => {
    const { store, queue, engine } = await setup();
    const [a] = await queue.enqueue(plannedRuns(trainSpec({ data: { train: { kind: 'bundled' }, dev: null, trainSize: 16, devSize: 100 } })), 'x');
    await queue.idle();
    expect(store.get(a.id)).toMatchObject({ status: 'failed', failure: { message: expect.stringContaining('too few for a hold-out') } });
    expect(engine.trainer.requests).toHaveLength(0);
  });
});

describe('the queue runs compare experiments', () => {
  it('trains every cell, storing each as it finishes, with the table and summary', async () => {
    const { store, queue, engine } = await setup();
    const [queued] = await queue.enqueue(plannedRuns(compareSpec()), 'tiny');
    expect(queued.name).toBe('tiny compare');
    await queue.idle();
    const run = compareRun(store.get(queued.id));
    expect(run.status).toBe('done');
    // 2 seeds × (clean once + RAPT at 2 η).
    expect(engine.trainer.requests).toHaveLength(6);
    expect(run.results.cells.map((c) => [c.condition, c.eta, c.seed])).toEqual([
      ['clean-prompt-tuning', null, 1], ['rapt', 5, 1], ['rapt', 50, 1],
      ['clean-prompt-tuning', null, 2], ['rapt', 5, 2], ['rapt', 50, 2],
    ]);
    expect(run.history).toHaveLength(6);
    const rows = compareRows(run.results.cells);
    expect(rows.map((r) => [r.condition, r.eta, r.accuracies.length])).toEqual([['clean-prompt-tuning', null, 2], ['rapt', 5, 2], ['rapt', 50, 2]]);
    const a1 = fakeAccuracy('rapt', 50, 1);
    const a2 = fakeAccuracy('rapt', 50, 2);
    expect(run.summary['accuracy[rapt]@η=50']).toBeCloseTo((a1 + a2) / 2);
    expect(run.summary['accuracyStd[rapt]@η=50']).toBeCloseTo(Math.abs(a1 - a2) / Math.SQRT2);
    expect(run.summary['accuracy[clean-prompt-tuning]']).toBeCloseTo((fakeAccuracy('clean-prompt-tuning', null, 1) + fakeAccuracy('clean-prompt-tuning', null, 2)) / 2);
    expect(run.checkpoint).toMatchObject({ kind: 'compare-cells', step: 6 });
  });

  it('a reload between cells keeps the finished ones; resuming trains only the others', async () => {
    const backend = memoryBackend();
    const first = await setup(new FakeEngine(), backend);
    // Hold the fourth training (seed 2, clean) before its first step; the page goes away there.
    first.engine.trainer.holdOnCall(4);
    const [queued] = await first.queue.enqueue(plannedRuns(compareSpec()), 'tiny');
    await first.engine.trainer.reached;
    await first.store.flush();

    const second = await setup(new FakeEngine(), backend, memoryCheckpointStore(), { paused: true });
    await recoverInterrupted(second.store);
    const stopped = compareRun(second.store.get(queued.id));
    expect(stopped.status).toBe('interrupted');
    expect(stopped.results.cells).toHaveLength(3);
    await second.queue.resume([queued.id]);
    await second.queue.idle();
    expect(second.engine.trainer.requests.map((r) => [r.condition, r.seed])).toEqual([['clean-prompt-tuning', 2], ['rapt', 2], ['rapt', 2]]);
    const done = compareRun(second.store.get(queued.id));
    expect(done.status).toBe('done');
    expect(done.results.cells).toHaveLength(6);
    expect(done.history.map((h) => h.step)).toEqual([0, 1, 2, 3, 4, 5]);
    first.engine.trainer.release();
  });

  it('cancel between or during cells leaves a cancelled run with its finished cells', async () => {
    const { store, queue, engine } = await setup();
    const [queued] = await queue.enqueue(plannedRuns(compareSpec({ seeds: [1] })), 'tiny');
    const trainer = engine.trainer;
    const original = trainer.train.bind(trainer);
    let calls = 0;
    trainer.train = (req, p, c) => {
      calls++;
      if (calls === 2) void queue.cancel([queued.id]);
      return original(req, p, c);
    };
    await queue.idle();
    const run = compareRun(store.get(queued.id));
    expect(run.status).toBe('cancelled');
    expect(run.results.cells).toHaveLength(1);
  });
});
