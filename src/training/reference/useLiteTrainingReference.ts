// Plain-TypeScript, double-precision reference of one prompt-tuning / RAPT training step on the frozen
// USE-Lite encoder: forward and analytic backward, one example at a time and unpadded. The oracle the GPU
// trainer is tested against (design: docs/training-design.md; method: ../shared/docs/rapt-method.md §3-4;
// checked against ../shared/fixtures/rapt-train-step.json by tests/unit/training/useLiteTrainingReference.test.ts).
//
// Per example the rows are [P (N soft-prompt rows) ; plain (m, RAPT only) ; text (n)], as the fixture's
// `layout`: x0[p] = P[p] + t(p) for p < N, 2·E[id] + t(p) elsewhere (t = timing signal, p = 0-based row).
// Task head on the mean of the final states over the text rows: logits = pooled·Wc + bc, loss_task = mean
// cross-entropy over the batch. Reconstruction head (RAPT) at the plain rows: logits = (g·W2)·W1, loss_rec =
// mean cross-entropy over B·m. loss = loss_task + λ·loss_rec. All matrices [in, out] row-major.

import type { UseLiteWeights } from '../../model/useLite/useLiteWeights';
import { checkLength, classifierHeadStep, reconstructionDims, reconstructionHeadStep, stepResult, zeroGrads } from './headsReference';
import { useLiteLayerBackward, useLiteLayerForward } from './useLiteLayerReference';
import type { UseLiteLayerCache } from './useLiteLayerReference';

export interface TrainableParams {
  /** Soft prompt [N, embeddingDim] (added to the timing signal as is, not doubled). */
  prompt: Float64Array;
  /** Task head [hidden (512), classes]. */
  taskW: Float64Array;
  /** Task head bias [classes]. */
  taskB: Float64Array;
  /** Reconstruction head W2 [hidden (512), c] (RAPT only). */
  recW2?: Float64Array;
  /** Reconstruction head W1 [c, |T|] (RAPT only). */
  recW1?: Float64Array;
}

export interface TrainableGrads {
  prompt: Float64Array;
  taskW: Float64Array;
  taskB: Float64Array;
  recW2?: Float64Array;
  recW1?: Float64Array;
}

export interface TrainBatch {
  /** Per example: the m plain-token ids (RAPT only, possibly privatised), then the text ids. */
  ids: number[][];
  labels: number[];
  /** Per example the m reconstruction targets (ids into T); default: the first m entries of ids. */
  plainTargets?: number[][];
}

export interface TrainStepOptions {
  /** N, soft-prompt rows. */
  promptLength: number;
  /** m, plain-token rows; 0 = plain prompt tuning (no reconstruction head). */
  plainLength: number;
  classes: number;
  /** Weight of the reconstruction loss. */
  lambda: number;
  /**
   * The attention query scale: 'weights' (default) uses each layer's stored queryScale, the graph's f32
   * constant (128^−½ rounded to f32 in layer 1); 'exact' uses (head width)^−½ in f64, as the PyTorch
   * fixture does (the two differ by 1.7e-8 relative in layer 1, which moves outputs by ~1e-8 relative).
   */
  queryScale?: 'weights' | 'exact';
}

export interface ExampleTrace {
  /** Rows N + m + n. */
  rows: number;
  /** Final 512-d states [rows, hidden]. */
  finalStates: Float64Array;
  /** Mean of the final states over the text rows [hidden]. */
  pooled: Float64Array;
  /** dLoss/dFinalStates [rows, hidden] (zero except at plain and text rows). */
  dFinalStates: Float64Array;
  /** dLoss/dx0 [rows, embeddingDim]; its first N rows summed over the batch are grads.prompt. */
  dInput: Float64Array;
}

/** The step's result; `Example` is the encoder's trace (BERT: BertExampleTrace). */
export interface TrainStepResult<Example = ExampleTrace> {
  /** Per example [classes]. */
  taskLogits: Float64Array[];
  /** Per example [m, |T|] row-major (RAPT only). */
  recLogits?: Float64Array[];
  lossTask: number;
  /** 0 without the reconstruction head. */
  lossRec: number;
  loss: number;
  /** taskW and taskB are empty for BERT's verbaliser. */
  grads: TrainableGrads;
  /** Intermediate values per example, for debugging a trainer stage by stage. */
  examples: Example[];
}

/**
 * The timing signal in f64, [rows, 2·half]: row p = [sin(p·inv), cos(p·inv)] with inv the graph's stored
 * (f32) inverse timescales. (useLiteTimingTable rounds p·inv and the result to f32, as the graph does.)
 */
export function useLiteTimingF64(w: UseLiteWeights, rows: number): Float64Array {
  const half = w.timingInverse.length;
  const out = new Float64Array(rows * 2 * half);
  for (let p = 0; p < rows; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * w.timingInverse[i];
      out[p * 2 * half + i] = Math.sin(angle);
      out[p * 2 * half + half + i] = Math.cos(angle);
    }
  }
  return out;
}

export function useLiteTrainStepReference(weights: UseLiteWeights, params: TrainableParams, batch: TrainBatch, opts: TrainStepOptions): TrainStepResult {
  const N = opts.promptLength;
  const m = opts.plainLength;
  const K = opts.classes;
  const D = weights.embeddingDim;
  const H = weights.layers[1].hidden;
  const B = batch.ids.length;
  const rapt = m > 0;
  if (B === 0) throw new Error('empty batch');
  if (batch.labels.length !== B) throw new Error(`${batch.labels.length} labels for ${B} examples`);
  checkLength('prompt', params.prompt, N * D);
  checkLength('taskW', params.taskW, H * K);
  checkLength('taskB', params.taskB, K);
  const dims = reconstructionDims(params, H, rapt);
  const grads = zeroGrads(N * D, H * K, K, H, dims);
  const taskLogits: Float64Array[] = [];
  const recLogits: Float64Array[] = [];
  const examples: ExampleTrace[] = [];
  let lossTask = 0;
  let lossRec = 0;
  const maxRows = N + Math.max(...batch.ids.map((ids) => ids.length));
  if (maxRows > weights.maxPositions) throw new Error(`an example has ${maxRows} rows; at most ${weights.maxPositions} positions`);
  const timing = useLiteTimingF64(weights, maxRows);
  const scales = weights.layers.map((l) => (opts.queryScale === 'exact' ? 1 / Math.sqrt(l.inputWidth / l.heads) : l.queryScale));

  for (let b = 0; b < B; b++) {
    const ids = batch.ids[b];
    const n = ids.length - m;
    if (n < 1) throw new Error(`example ${b} has ${ids.length} ids: needs ${m} plain tokens and at least one text token`);
    const L = N + ids.length;
    const label = batch.labels[b];
    if (!Number.isInteger(label) || label < 0 || label >= K) throw new Error(`example ${b}: label ${label} outside [0, ${K})`);

    // x0: prompt rows P_p + t(p), token rows 2·E[id] + t(p).
    const x0 = new Float64Array(L * D);
    for (let p = 0; p < L; p++) {
      const o = p * D;
      if (p < N) {
        for (let i = 0; i < D; i++) x0[o + i] = params.prompt[o + i] + timing[o + i];
      } else {
        const id = ids[p - N];
        if (!Number.isInteger(id) || id < 0 || id >= weights.vocabSize) throw new Error(`example ${b}: token id ${id} outside the embedding table`);
        for (let i = 0; i < D; i++) x0[o + i] = 2 * weights.embeddings[id * D + i] + timing[o + i];
      }
    }
    const caches: UseLiteLayerCache[] = [];
    let x: Float64Array = x0;
    for (let l = 0; l < weights.layers.length; l++) {
      const cache = useLiteLayerForward(x, L, weights.layers[l], scales[l]);
      caches.push(cache);
      x = cache.out;
    }
    const g = x;
    const dG = new Float64Array(L * H);

    // Task head on the mean over the text rows [N + m, L).
    const task = classifierHeadStep(g, H, N + m, L, params, K, label, B, grads, dG);
    taskLogits.push(task.logits);
    lossTask += task.loss;
    const { pooled } = task;

    // Reconstruction head at the plain rows [N, N + m).
    if (rapt) {
      const targets = batch.plainTargets ? batch.plainTargets[b] : ids.slice(0, m);
      const rec = reconstructionHeadStep(g, H, N, m, params, dims, targets, opts.lambda, B, b, grads, dG, lossRec);
      recLogits.push(rec.logits);
      lossRec = rec.lossRec;
    }

    // Frozen encoder backward to x0; the prompt rows' gradients sum over the batch.
    let d: Float64Array = dG;
    for (let l = weights.layers.length - 1; l >= 0; l--) d = useLiteLayerBackward(caches[l], d, weights.layers[l], scales[l]);
    for (let i = 0; i < N * D; i++) grads.prompt[i] += d[i];
    examples.push({ rows: L, finalStates: g, pooled, dFinalStates: dG, dInput: d });
  }

  return stepResult(taskLogits, rapt ? recLogits : null, lossTask, lossRec, opts.lambda, grads, examples);
}

/** Euclidean (Frobenius) norm of a gradient buffer. */
export function l2Norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}
