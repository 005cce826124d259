// Shared fixtures for the run-workspace unit tests: a fake engine with deterministic per-η statistics
// (like the real one: a function of seed and η only) and a fake trainer (deterministic curves and accuracy,
// checkpoints at each evaluation, resumable from them), specs and stored records.
import { parseExperimentSpec, type ExperimentSpec, type PrivatizeExperimentSpec } from '../../src/experiments/schema';
import { expandSweep } from '../../src/experiments/sweep';
import type { EtaStatistics } from '../../src/privacy/statistics/etaSweep';
import type { EngineLease, QueueEngine, TrainingEngine } from '../../src/storage/runQueue';
import { conditionHash, specHash } from '../../src/experiments/specHash';
import type { TrainingData } from '../../src/experiments/trainingExperiment';
import { PRIVATISED_CONDITIONS } from '../../src/experiments/trainingSchema';
import type { CompareExperimentSpec, TrainExperimentSpec } from '../../src/experiments/schema';
import type { AdapterReport } from '../../src/gpu/device';
import type { ModelInfo } from '../../src/model/loadedModel';
import { isPrivatizeRun, newRunRecord, type PrivatizeRun, type RunEnvironment, type RunRecord } from '../../src/storage/runRecord';
import type { EvalPoint, TrainCheckpoint, TrainPoint, TrainProgress, TrainRequest, TrainResult } from '../../src/training/trainTypes';
import type { PrivatizedText, SweepTextsRequest } from '../../src/worker/engineApi';

export const spec = (over: Record<string, unknown> = {}): PrivatizeExperimentSpec =>
  parseExperimentSpec({
    schemaVersion: 2, kind: 'privatize', name: 'tiny', corpus: { kind: 'inline', texts: ['a good film', 'a dull film', 'loved it'] },
    etas: [5, 50, 500], seeds: [1], sampleSize: 5, draws: 1, attacks: { bayes: { enabled: false } }, ...over,
  }) as PrivatizeExperimentSpec;

export function fakeStats(seed: number, eta: number): EtaStatistics {
  const p = Math.min(1, eta / 600 + seed / 1000);
  const prop = (value: number) => ({ value, standardError: Math.sqrt((value * (1 - value)) / 30), n: 30 });
  return {
    eta, expectedNoiseRadius: 256 / eta, occurrences: 10, pUnchanged: prop(p), meanDistanceMoved: 1 - p, meanDistanceMovedWhenChanged: p < 1 ? 1.2 : null,
    plausibleDeniability: { draws: 1, distinctTokens: 5, meanN: p, medianN: p, meanS: 1, medianS: 1 },
    attacks: { identity: prop(p), nearestNeighbour: prop(p / 2), bayes: null }, seconds: 0.5,
  };
}

export const environment: RunEnvironment = {
  adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader', isFallbackAdapter: false, isSoftware: true, features: [], limits: { maxBufferSize: 1 } },
  userAgent: 'test', appVersion: '0.1.0+test', model: { id: 'use-lite', name: 'USE-Lite', vocabSize: 8002, embeddingDim: 256, candidateCount: 7994 },
};

/** The stored record of a privatize run (throws for another kind). */
export function privatizeRun(run: RunRecord | undefined): PrivatizeRun {
  if (!run || !isPrivatizeRun(run)) throw new Error(`not a privatize run: ${run?.id}`);
  return run;
}

/** A tiny train spec: 16 examples in batches of 8 (2 steps per epoch), 2 epochs, evaluated once per epoch. */
export const trainSpec = (over: Record<string, unknown> = {}): TrainExperimentSpec =>
  parseExperimentSpec({
    schemaVersion: 2, kind: 'train', name: 'tiny train', condition: 'rapt', eta: 20,
    data: { train: { kind: 'bundled' }, dev: null, trainSize: 16, devSize: 8 }, seeds: [1],
    prompt: { length: 2 }, rapt: { plainTokens: 2, width: 8 }, training: { epochs: 2, batchSize: 8, maxTokens: 12 }, ...over,
  }) as TrainExperimentSpec;

export const compareSpec = (over: Record<string, unknown> = {}): CompareExperimentSpec =>
  parseExperimentSpec({
    schemaVersion: 2, kind: 'compare', name: 'tiny compare', conditions: ['clean-prompt-tuning', 'rapt'], etas: [5, 50],
    data: { train: { kind: 'bundled' }, dev: null, trainSize: 16, devSize: 8 }, seeds: [1, 2],
    prompt: { length: 2 }, rapt: { plainTokens: 2, width: 8 }, training: { epochs: 1, batchSize: 8, maxTokens: 12 }, ...over,
  }) as CompareExperimentSpec;

/** 40 labelled sentences, two classes (what loadTrainingData returns for the bundled data, in small). */
export const trainingData = (): TrainingData => {
  const examples = Array.from({ length: 40 }, (_, i) => ({ text: `sentence ${i} ${i % 2 ? 'good' : 'bad'}`, label: i % 2 }));
  return { train: { examples, labelNames: ['negative', 'positive'], classCounts: [20, 20], rowOf: examples.map((_, i) => i + 1), badRows: [] }, trainName: 'tiny sentences', dev: null, devName: 'hold-out of tiny sentences' };
};

/** The accuracy the fake trainer ends with: a function of condition, η and seed only. */
export const fakeAccuracy = (condition: string, eta: number | null, seed: number): number =>
  Math.min(0.99, (PRIVATISED_CONDITIONS.includes(condition as never) ? 0.5 + Math.min(eta ?? 0, 100) / 400 : 0.85) + seed / 1000);

const adapter: AdapterReport = { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader', isFallbackAdapter: false, isSoftware: true, features: [], limits: { maxBufferSize: 1 } };

/**
 * A fake trainer with the engine's contract: progress with learning-curve points at every step, an
 * evaluation and a checkpoint at the end of each epoch, resume from a checkpoint (steps after it replayed),
 * cancel (rejects with CancelledError at the next step). `holdAt(step)` waits before that step until release().
 */
export class FakeTrainer implements TrainingEngine {
  requests: TrainRequest[] = [];
  cancelled = false;
  failWith: Error | null = null;
  #holdAt = Infinity;
  #holdCall = 0;
  #released: (() => void) | null = null;
  #reached: (() => void) | null = null;
  reached: Promise<void> = new Promise((r) => (this.#reached = r));

  holdAt(step: number) {
    this.#holdAt = step;
    this.reached = new Promise((r) => (this.#reached = r));
  }

  /** Holds the n-th training request (1-based) before its first step. */
  holdOnCall(n: number) {
    this.#holdCall = n;
    this.reached = new Promise((r) => (this.#reached = r));
  }

  release() {
    this.#holdAt = Infinity;
    this.#released?.();
  }

  cancel() {
    this.cancelled = true;
    this.release();
  }

  async init() {
    return adapter;
  }

  async loadModel() {
    return { id: 'use-lite', name: 'USE-Lite', vocabSize: 8002, embeddingDim: 256, candidateCount: 7994 } as ModelInfo;
  }

  async currentModel() {
    return this.loadModel();
  }

  async train(request: TrainRequest, onProgress?: (p: TrainProgress) => void, onCheckpoint?: (c: TrainCheckpoint) => void | Promise<void>): Promise<TrainResult> {
    this.requests.push(request);
    this.cancelled = false;
    if (this.requests.length === this.#holdCall) this.#holdAt = 0;
    const privatised = PRIVATISED_CONDITIONS.includes(request.condition);
    const isRapt = request.condition === 'rapt' || request.condition === 'rapt-per-example';
    const perEpoch = Math.max(1, Math.floor(request.train.length / request.settings.batchSize));
    const totalSteps = perEpoch * request.settings.epochs;
    const final = fakeAccuracy(request.condition, privatised ? request.eta : null, request.seed);
    const history: TrainPoint[] = request.resume ? [...request.resume.history] : [];
    const evals: EvalPoint[] = request.resume ? [...request.resume.evals] : [];
    let step = request.resume?.step ?? 0;
    const progress = (extra: Partial<TrainProgress> = {}) =>
      onProgress?.({ phase: 'training', step, totalSteps, fraction: 0.05 + (0.95 * step) / totalSteps, examplesPerSecond: 100, etaSeconds: totalSteps - step, ...extra });
    onProgress?.({ phase: 'privatising', step: 0, totalSteps: 0, fraction: 0, examplesPerSecond: null, etaSeconds: null });
    const evaluate = () => {
      const point: EvalPoint = { step, epoch: Math.ceil(step / perEpoch), accuracy: step === 0 ? 0.5 : 0.5 + ((final - 0.5) * step) / totalSteps, loss: 1 - step / (2 * totalSteps), examples: request.dev.length };
      evals.push(point);
      progress({ evaluation: point });
    };
    if (step === 0 && evals.length === 0) evaluate();
    while (step < totalSteps) {
      if (step >= this.#holdAt) {
        this.#reached?.();
        await new Promise<void>((r) => (this.#released = r));
      }
      if (this.cancelled) throw Object.assign(new Error('cancelled'), { name: 'CancelledError' });
      if (this.failWith) throw this.failWith;
      step++;
      // A diverged step's gradient norm is NaN: stored as null, never as a broken record.
      const point: TrainPoint = { step, epoch: Math.floor((step - 1) / perEpoch), examples: request.settings.batchSize, lossTask: 1 / step, lossRec: isRapt ? 2 / step : null, trainAccuracy: 0.5, recAccuracy: isRapt ? 0.25 : null, gradNorm: step === 1 ? Number.NaN : 1, lr: 0.01, examplesPerSecond: 100 };
      history.push(point);
      progress({ point });
      if (step % perEpoch === 0) {
        evaluate();
        await onCheckpoint?.({ step, params: { prompt: new Float32Array([step, 1, 2]) }, adam: { m: { prompt: new Float32Array(3) }, v: { prompt: new Float32Array(3) } }, history: [...history], evals: [...evals], seconds: step });
      }
      await Promise.resolve();
    }
    const last = evals[evals.length - 1];
    return {
      condition: request.condition, eta: privatised ? request.eta : null, seed: request.seed, accuracy: last.accuracy, loss: last.loss, history, evals, steps: step,
      trainExamples: request.train.length, devExamples: request.dev.length, changedFraction: privatised ? 1 / request.eta : 0,
      plainTokens: request.condition === 'rapt' ? [11, 12] : null,
      shape: { promptLength: request.promptLength, plainLength: isRapt ? request.rapt.plainTokens : 0, reconstructionWidth: request.rapt.width, targetVocab: 8000, classes: 2, trainedParameters: 1234 },
      seconds: { privatise: 0.1, train: step, evaluate: 0.2 },
    };
  }
}

/** A fake engine. `holdAfter(n)`: the sweep waits after n η values until `release()`; `failWith` makes it throw. */
export class FakeEngine implements QueueEngine {
  readonly trainer = new FakeTrainer();
  requests: SweepTextsRequest[] = [];
  cancelled = false;
  failWith: Error | null = null;
  #holdAfter = Infinity;
  #released: (() => void) | null = null;
  #reached: (() => void) | null = null;
  reached: Promise<void> = new Promise((r) => (this.#reached = r));

  holdAfter(n: number) {
    this.#holdAfter = n;
    this.reached = new Promise((r) => (this.#reached = r));
  }

  release() {
    this.#holdAfter = Infinity;
    this.#released?.();
  }

  async sweepEta(request: SweepTextsRequest, onProgress: (p: { fraction: number; stage: string }) => void, onEta: (s: EtaStatistics, i: number) => void) {
    this.requests.push(request);
    this.cancelled = false;
    const out: EtaStatistics[] = [];
    for (const [i, eta] of request.etas.entries()) {
      if (i >= this.#holdAfter) {
        this.#reached?.();
        await new Promise<void>((r) => (this.#released = r));
      }
      if (this.cancelled) throw Object.assign(new Error('cancelled'), { name: 'CancelledError' });
      if (this.failWith) throw this.failWith;
      onProgress({ fraction: (i + 0.5) / request.etas.length, stage: `η = ${eta}` });
      const s = fakeStats(request.seed, eta);
      out.push(s);
      onEta(s, i);
      await Promise.resolve();
    }
    return out;
  }

  async privatizeTexts(request: { texts: string[]; eta: number; seed: number }): Promise<PrivatizedText[]> {
    return request.texts.map((t) => ({ normalized: t, tokens: [], privatizedText: `${t} [η=${request.eta} seed=${request.seed}]`, changedCount: 0 }));
  }

  cancel() {
    this.cancelled = true;
    this.#holdAfter = Infinity;
    this.#released?.();
    this.trainer.cancel();
  }
}

export function lease(engine: QueueEngine): EngineLease {
  return { engine, environment, release: () => {} };
}

export const plannedRuns = (s: ExperimentSpec) => expandSweep(s);

/** A stored record of the tiny spec (queued unless overridden). */
export async function record(id: string, over: Partial<RunRecord> = {}): Promise<RunRecord> {
  const s = spec();
  return {
    ...newRunRecord({ id, name: id, spec: s, specHash: await specHash(s), conditionHash: await conditionHash(s), seed: 1, sweep: null, queuePosition: 1, now: '2025-01-01T00:00:00.000Z' }),
    ...over,
  };
}

