// The f64 training heads both encoder references share (useLiteTrainingReference.ts, bertTrainingReference.ts):
// the linear classifier on the mean of the final states over the text rows, the RAPT reconstruction head
// logits = (g·W2)·W1 at the plain rows, their cross-entropy losses and analytic backward. All matrices
// [in, out] row-major; arithmetic in the order the references have always used (their fixtures compare at 1e-15).

import { addOuterProducts, matmul, matmulTransposeB } from './useLiteLayerReference';
import type { TrainableGrads, TrainableParams, TrainStepResult } from './useLiteTrainingReference';

/** Cross-entropy of one row: returns the loss and writes scale·(softmax − onehot(target)) into d. */
export function crossEntropy(logits: Float64Array, target: number, scale: number, d: Float64Array): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += Math.exp(logits[i] - max);
  const logZ = max + Math.log(total);
  for (let i = 0; i < logits.length; i++) d[i] = scale * Math.exp(logits[i] - logZ);
  d[target] -= scale;
  return logZ - logits[target];
}

export function checkLength(name: string, a: ArrayLike<number> | undefined, expected: number): void {
  if (!a || a.length !== expected) throw new Error(`${name} has ${a ? a.length : 'no'} entries, expected ${expected}`);
}

/** c and |T| of the reconstruction head (recW2 [hidden, c], recW1 [c, |T|]); both 0 without RAPT. */
export function reconstructionDims(params: TrainableParams, hidden: number, rapt: boolean): { c: number; T: number } {
  if (!rapt) return { c: 0, T: 0 };
  if (!params.recW2 || !params.recW1) throw new Error('RAPT (plainLength > 0) needs recW2 and recW1');
  const c = params.recW2.length / hidden;
  const T = params.recW1.length / c;
  if (!Number.isInteger(c) || c === 0 || !Number.isInteger(T) || T === 0) throw new Error('recW2 must be [hidden, c] and recW1 [c, |T|]');
  return { c, T };
}

/** Zeroed gradients: prompt and task head of the given sizes, plus the reconstruction head when dims.c > 0. */
export function zeroGrads(promptSize: number, taskWSize: number, taskBSize: number, hidden: number, dims: { c: number; T: number }): TrainableGrads {
  return {
    prompt: new Float64Array(promptSize),
    taskW: new Float64Array(taskWSize),
    taskB: new Float64Array(taskBSize),
    ...(dims.c > 0 ? { recW2: new Float64Array(hidden * dims.c), recW1: new Float64Array(dims.c * dims.T) } : {}),
  };
}

/**
 * The classifier on the mean of g's rows [textStart, textEnd) (g [rows, H]) for one example of a batch of B:
 * accumulates grads.taskW and grads.taskB, writes dG at the text rows. Returns the logits, the pooled state
 * and the example's share of the task loss (its cross-entropy / B).
 */
export function classifierHeadStep(
  g: Float64Array,
  H: number,
  textStart: number,
  textEnd: number,
  params: TrainableParams,
  K: number,
  label: number,
  B: number,
  grads: TrainableGrads,
  dG: Float64Array,
): { logits: Float64Array; pooled: Float64Array; loss: number } {
  const n = textEnd - textStart;
  const pooled = new Float64Array(H);
  for (let p = textStart; p < textEnd; p++) for (let j = 0; j < H; j++) pooled[j] += g[p * H + j];
  for (let j = 0; j < H; j++) pooled[j] /= n;
  const logits = matmul(pooled, 1, H, params.taskW, K, params.taskB);
  const dLogits = new Float64Array(K);
  const loss = crossEntropy(logits, label, 1 / B, dLogits) / B;
  addOuterProducts(grads.taskW, pooled, 1, H, dLogits, K);
  for (let k = 0; k < K; k++) grads.taskB[k] += dLogits[k];
  const dPooled = matmulTransposeB(dLogits, 1, K, params.taskW, H);
  for (let p = textStart; p < textEnd; p++) for (let j = 0; j < H; j++) dG[p * H + j] = dPooled[j] / n;
  return { logits, pooled, loss };
}

/**
 * The reconstruction head at g's rows [plainStart, plainStart + m) for example `b` of a batch of B:
 * accumulates grads.recW2 and grads.recW1, writes dG at the plain rows. Each row's cross-entropy / (B·m) is
 * added to `lossRec` in turn (returned with the logits [m, |T|]); the gradients carry λ/(B·m).
 */
export function reconstructionHeadStep(
  g: Float64Array,
  H: number,
  plainStart: number,
  m: number,
  params: TrainableParams,
  dims: { c: number; T: number },
  targets: readonly number[],
  lambda: number,
  B: number,
  b: number,
  grads: TrainableGrads,
  dG: Float64Array,
  lossRec: number,
): { logits: Float64Array; lossRec: number } {
  const { c, T } = dims;
  if (targets.length !== m) throw new Error(`example ${b}: ${targets.length} plain targets, expected ${m}`);
  const gPlain = g.subarray(plainStart * H, (plainStart + m) * H);
  const z = matmul(gPlain, m, H, params.recW2!, c);
  const rl = matmul(z, m, c, params.recW1!, T);
  const dRl = new Float64Array(m * T);
  const scale = lambda / (B * m);
  for (let i = 0; i < m; i++) {
    const t = targets[i];
    if (!Number.isInteger(t) || t < 0 || t >= T) throw new Error(`example ${b}: plain target ${t} outside [0, ${T})`);
    lossRec += crossEntropy(rl.subarray(i * T, (i + 1) * T), t, scale, dRl.subarray(i * T, (i + 1) * T)) / (B * m);
  }
  addOuterProducts(grads.recW1!, z, m, c, dRl, T);
  const dZ = matmulTransposeB(dRl, m, T, params.recW1!, c);
  addOuterProducts(grads.recW2!, gPlain, m, H, dZ, c);
  dG.set(matmulTransposeB(dZ, m, c, params.recW2!, H), plainStart * H);
  return { logits: rl, lossRec };
}

/** The step's result: loss = lossTask + λ·lossRec; recLogits only with RAPT (null: plain prompt tuning). */
export function stepResult<Example>(
  taskLogits: Float64Array[],
  recLogits: Float64Array[] | null,
  lossTask: number,
  lossRec: number,
  lambda: number,
  grads: TrainableGrads,
  examples: Example[],
): TrainStepResult<Example> {
  return {
    taskLogits,
    ...(recLogits ? { recLogits } : {}),
    lossTask,
    lossRec,
    loss: lossTask + lambda * lossRec,
    grads,
    examples,
  };
}
