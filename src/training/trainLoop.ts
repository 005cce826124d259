// The SERVICE side's training loop: epochs of seeded, length-bucketed batches of a ServiceDataset (privatised
// ids only — rapt/serviceSide.ts), warm-up + linear decay, evaluation on the privatised dev set, progress
// events, cancellation and checkpoints that a reloaded page resumes from.
//
// The loop is deterministic given (seed, data, settings): the batch order is a pure function of (seed,
// epoch), parameters start from seeded values, and the GPU kernels have fixed reduction orders. A resumed
// run replays the same order from its checkpoint's step.

import { CancelledError } from '../privacy/privatize';
import type { ServiceDataset } from '../rapt/serviceSide';
import { evaluationBatches, trainingBatches } from './batching';
import { learningRate } from './schedule';
import type { EvalPoint, TrainCheckpoint, TrainPoint, TrainProgress, TrainSettings } from './trainTypes';
import { PARAM_NAMES, type TrainableParams } from './trainableParams';
import type { PromptTrainer, TrainBatch } from './trainerCore';

/** Steps between metric readbacks (each is one 32-byte copy): enough points for a smooth curve. */
function readEvery(totalSteps: number): number {
  return Math.max(1, Math.min(10, Math.floor(totalSteps / 60)));
}

export interface TrainLoopOptions {
  trainer: PromptTrainer;
  train: ServiceDataset;
  dev: ServiceDataset;
  seed: number;
  settings: TrainSettings;
  resume?: TrainCheckpoint;
  /** Called with every progress event; points and evaluations arrive as they are made. */
  onProgress?: (p: TrainProgress) => void;
  /** Called at the end of each epoch and after each evaluation with a checkpoint to store. */
  onCheckpoint?: (c: TrainCheckpoint) => void | Promise<void>;
  cancelled?: () => boolean;
  /** Share of the whole request's progress bar this loop covers, as [start, end]. */
  progressRange?: [number, number];
}

export interface TrainLoopResult {
  history: TrainPoint[];
  evals: EvalPoint[];
  steps: number;
  accuracy: number;
  loss: number;
  seconds: { train: number; evaluate: number };
}

/** The batches of one epoch that training uses: full ones (a partial batch would change the loss scale). */
export function epochBatches(lengths: readonly number[], batchSize: number, seed: number, epoch: number): number[][] {
  const all = trainingBatches(lengths, batchSize, seed, epoch);
  const full = all.filter((b) => b.length === batchSize);
  return full.length ? full : all.slice(0, 1);
}

function toBatch(data: ServiceDataset, indices: readonly number[]): TrainBatch {
  const examples = indices.map((i) => data.examples[i]);
  return { ids: examples.map((e) => e.ids), labels: examples.map((e) => e.label), plainTargets: examples.map((e) => e.plainTargets) };
}

/** Accuracy and mean task loss of the current parameters on a dataset (privatised as at inference). */
export async function evaluate(trainer: PromptTrainer, data: ServiceDataset, batchSize: number, cancelled?: () => boolean): Promise<{ accuracy: number; loss: number }> {
  let correct = 0;
  let loss = 0;
  const lengths = data.examples.map((e) => e.ids.length);
  for (const batch of evaluationBatches(lengths, batchSize)) {
    if (cancelled?.()) throw new CancelledError();
    const { predicted, losses } = await trainer.predict(toBatch(data, batch), batchSize);
    batch.forEach((index, row) => {
      if (predicted[row] === data.examples[index].label) correct++;
      loss += losses[row];
    });
  }
  const n = Math.max(1, data.examples.length);
  return { accuracy: correct / n, loss: loss / n };
}

export async function trainLoop(o: TrainLoopOptions): Promise<TrainLoopResult> {
  const { trainer, train, dev, seed, settings } = o;
  const [p0, p1] = o.progressRange ?? [0, 1];
  const lengths = train.examples.map((e) => e.ids.length);
  const stepsPerEpoch = epochBatches(lengths, settings.batchSize, seed, 0).length;
  const totalSteps = stepsPerEpoch * settings.epochs;
  const schedule = { lr: settings.lr, warmupFraction: settings.warmupFraction };
  const promptSchedule = { lr: settings.promptLr, warmupFraction: settings.warmupFraction };
  const evalAt = new Set<number>();
  for (let e = 0; e < settings.epochs; e++) {
    for (let k = 1; k <= settings.evalsPerEpoch; k++) evalAt.add(e * stepsPerEpoch + Math.round((k * stepsPerEpoch) / settings.evalsPerEpoch));
  }
  evalAt.add(totalSteps);
  const history: TrainPoint[] = o.resume ? [...o.resume.history] : [];
  const evals: EvalPoint[] = o.resume ? [...o.resume.evals] : [];
  let step = o.resume?.step ?? 0;
  if (o.resume) await restore(trainer, o.resume);
  const every = readEvery(totalSteps);
  // Steps are queued without waiting for the GPU (only metric reads wait), so training time is the loop's
  // wall time minus evaluation.
  const priorSeconds = o.resume?.seconds ?? 0;
  const loopStart = performance.now();
  let evalSeconds = 0;
  const trainSeconds = () => priorSeconds + (performance.now() - loopStart) / 1000 - evalSeconds;
  let windowStart = performance.now();
  let windowSteps = 0;
  let windowExamples = 0;
  let examplesPerSecond: number | null = null;
  const report = (phase: TrainProgress['phase'], extra: Partial<TrainProgress> = {}) =>
    o.onProgress?.({
      phase,
      step,
      totalSteps,
      fraction: p0 + ((p1 - p0) * step) / Math.max(1, totalSteps),
      examplesPerSecond,
      etaSeconds: examplesPerSecond ? ((totalSteps - step) * settings.batchSize) / examplesPerSecond : null,
      ...extra,
    });

  const runEvaluation = async (): Promise<EvalPoint> => {
    report('evaluating');
    const t = performance.now();
    const r = await evaluate(trainer, dev, settings.batchSize, o.cancelled);
    evalSeconds += (performance.now() - t) / 1000;
    const point: EvalPoint = { step, epoch: Math.ceil(step / stepsPerEpoch), accuracy: r.accuracy, loss: r.loss, examples: dev.examples.length };
    evals.push(point);
    report('training', { evaluation: point });
    return point;
  };

  // The step-0 evaluation shows where training starts (the untrained head is near chance).
  if (step === 0 && evals.length === 0 && settings.initialEvaluation) await runEvaluation();
  const hasRec = train.plainLength > 0;
  while (step < totalSteps) {
    const epoch = Math.floor(step / stepsPerEpoch);
    const batches = epochBatches(lengths, settings.batchSize, seed, epoch);
    for (let b = step - epoch * stepsPerEpoch; b < batches.length; b++) {
      if (o.cancelled?.()) throw new CancelledError();
      const lr = learningRate(step, totalSteps, schedule);
      const promptLr = learningRate(step, totalSteps, promptSchedule);
      await trainer.step(toBatch(train, batches[b]), lr, promptLr);
      step++;
      windowSteps++;
      windowExamples += batches[b].length;
      if (windowSteps === every || step === totalSteps) {
        const m = await trainer.readMetrics();
        const seconds = (performance.now() - windowStart) / 1000;
        examplesPerSecond = windowExamples / Math.max(seconds, 1e-6);
        const point: TrainPoint = {
          step,
          epoch,
          examples: windowExamples,
          lossTask: m.taskLossSum / windowExamples,
          lossRec: hasRec ? m.recLossSum / (windowExamples * train.plainLength) : null,
          trainAccuracy: m.taskCorrect / windowExamples,
          recAccuracy: hasRec ? m.recCorrect / (windowExamples * train.plainLength) : null,
          gradNorm: m.gradNorm,
          lr,
          examplesPerSecond,
        };
        history.push(point);
        report('training', { point });
        windowStart = performance.now();
        windowSteps = 0;
        windowExamples = 0;
      }
      if (evalAt.has(step)) {
        await runEvaluation();
        windowStart = performance.now();
        await o.onCheckpoint?.(await checkpoint(trainer, step, history, evals, trainSeconds()));
      }
    }
  }
  const last = evals[evals.length - 1];
  return { history, evals, steps: step, accuracy: last.accuracy, loss: last.loss, seconds: { train: trainSeconds(), evaluate: evalSeconds } };
}

async function checkpoint(trainer: PromptTrainer, step: number, history: TrainPoint[], evals: EvalPoint[], seconds: number): Promise<TrainCheckpoint> {
  const params = await trainer.readParams();
  const adam = await trainer.readOptimizerState();
  const pick = (p: TrainableParams) => Object.fromEntries(PARAM_NAMES.filter((n) => p[n].length > 0).map((n) => [n, p[n]]));
  return { step, params: pick(params), adam: { m: pick(adam.m), v: pick(adam.v) }, history: [...history], evals: [...evals], seconds };
}

async function restore(trainer: PromptTrainer, c: TrainCheckpoint): Promise<void> {
  const full = (r: Record<string, Float32Array>): TrainableParams => {
    const out: TrainableParams = { prompt: new Float32Array(0), taskW: new Float32Array(0), taskB: new Float32Array(0), recW2: new Float32Array(0), recW1: new Float32Array(0) };
    for (const n of PARAM_NAMES) if (r[n]) out[n] = r[n];
    return out;
  };
  trainer.setParams(full(c.params));
  trainer.setOptimizerState({ step: c.step, m: full(c.adam.m), v: full(c.adam.v) });
}
