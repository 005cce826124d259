// The bridge between the training-step peers' vocabulary (trainStepSetup.ts: options, Trainables, the padded
// TrainBatch) and our trainer's (src/training/useLiteTrainer.ts: TrainerShape, TrainableParams, per-example
// id lists), so that the train section feeds ours exactly what jax-js and TF.js get: the same trainables
// (both are [in, out] row-major, only the names differ), the same examples, the same AdamW settings and
// learning rates. Pure functions (type-only imports of the trainer), unit-tested in Node.

import type { OptimizerSettings, TrainBatch as TrainerBatch, TrainableParams, TrainerShape, TrainMetrics } from '../../training/useLiteTrainer';
import type { AdamWOptions, StepLosses, TrainBatch, Trainables, TrainStepOptions } from './trainStepSetup';

export function trainerShapeOf(o: TrainStepOptions): TrainerShape {
  return {
    promptLength: o.promptTokens,
    plainLength: o.plainTokens,
    classes: o.classes,
    reconstructionWidth: o.reconRank,
    targetVocab: o.reconVocab,
    lambda: o.lambda,
  };
}

/** AdamW without the learning rates (the trainer takes those per step). */
export function trainerOptimizerOf(a: AdamWOptions): OptimizerSettings {
  return { beta1: a.beta1, beta2: a.beta2, eps: a.eps, weightDecay: a.weightDecay, maxGradNorm: a.maxGradNorm };
}

/** The same tensors under the trainer's names (copies); no reconstruction head → empty W2, W1. */
export function trainerParamsOf(t: Trainables): TrainableParams {
  return {
    prompt: t.prompt.slice(),
    taskW: t.taskWeight.slice(),
    taskB: t.taskBias.slice(),
    recW2: t.rec ? t.rec.w2.slice() : new Float32Array(0),
    recW1: t.rec ? t.rec.w1.slice() : new Float32Array(0),
  };
}

/**
 * A padded peer batch as the trainer takes it: per example the rows after the prompt up to its length
 * (m plain tokens, then the text), the labels, and per example its m plain targets.
 */
export function trainerBatchOf(b: TrainBatch, o: TrainStepOptions): TrainerBatch {
  const N = o.promptTokens;
  const m = o.plainTokens;
  const S = b.length;
  const ids: Int32Array[] = [];
  const plainTargets: Int32Array[] = [];
  for (let e = 0; e < b.batch; e++) {
    ids.push(b.ids.slice(e * S + N, e * S + b.lengths[e]));
    if (m > 0) plainTargets.push(b.plainTargets.slice(e * m, (e + 1) * m));
  }
  return { ids, labels: Array.from(b.labels), ...(m > 0 ? { plainTargets } : {}) };
}

/**
 * The padded length the trainer will use for a batch (useLiteTrainer.ts prepareBatch: prompt + longest
 * example, at least N + m + 1, rounded up to 16, at most the encoder's positions). The benchmark's cases
 * (S = 32, 48, with an example that fills them) pad to exactly the peers' S, so every implementation
 * computes the same rows.
 */
export function trainerPaddedLength(b: TrainerBatch, o: TrainStepOptions, maxPositions = 128): number {
  const longest = Math.max(...b.ids.map((x) => x.length));
  const need = Math.max(o.promptTokens + longest, o.promptTokens + o.plainTokens + 1);
  return Math.min(maxPositions, Math.ceil(need / 16) * 16);
}

/**
 * Mean losses from the trainer's accumulated metrics (sums over examples and over plain rows since the
 * last read), for `steps` steps of `batch` examples with m plain rows each. loss_rec is the unweighted
 * cross-entropy, as the peers report it; 0 without a reconstruction head.
 */
export function lossesFromMetrics(metrics: TrainMetrics, batch: number, plainTokens: number, steps = 1): StepLosses {
  return {
    lossTask: metrics.taskLossSum / (batch * steps),
    lossRec: plainTokens > 0 ? metrics.recLossSum / (batch * plainTokens * steps) : 0,
  };
}

/** max over (task[, rec]) of |got − ours| / |ours|: NaN or a mismatch in either gives Infinity. */
export function maxRelLossDiff(got: StepLosses, ours: StepLosses, withRec: boolean): number {
  const rel = (a: number, b: number) => {
    const r = Math.abs(a - b) / Math.abs(b);
    return Number.isFinite(r) ? r : a === b ? 0 : Infinity;
  };
  const task = rel(got.lossTask, ours.lossTask);
  return withRec ? Math.max(task, rel(got.lossRec, ours.lossRec)) : task;
}

/** The first `n` distinct ids of the corpus: the soft prompt starts as their doubled embeddings (formulaTrainables). */
export function promptInitIds(corpusTokens: readonly number[], n: number): number[] {
  const ids: number[] = [];
  for (const id of corpusTokens) {
    if (ids.length === n) break;
    if (!ids.includes(id)) ids.push(id);
  }
  if (ids.length < n) throw new Error(`the corpus has only ${ids.length} distinct tokens, the prompt needs ${n}`);
  return ids;
}
