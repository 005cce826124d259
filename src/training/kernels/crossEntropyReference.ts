// Softmax cross-entropy in double precision: the reference for shaders/training/crossEntropy.wgsl.
//   losses[r]     = −log softmax(logits[r, :])[t_r]   (log-sum-exp with the row max subtracted)
//   dLogits[r, c] = scale · (softmax(logits[r, :])[c] − [c == t_r])
//   predicted[r]  = argmax_c logits[r, c], lowest index on ties
// Rows whose target is IGNORED_TARGET get zero loss and a zero gradient row (their argmax is still given).

/** targets[r] marking a row without a label (padding): zero loss, zero gradient. */
export const IGNORED_TARGET = 0xffffffff;

export interface CrossEntropyResult {
  losses: Float64Array;
  dLogits: Float64Array;
  predicted: Uint32Array;
}

/**
 * Inputs are read as numbers, so finite-difference tests can perturb them in f64. Throws a RangeError for a
 * target that is neither a class nor IGNORED_TARGET (the GPU kernel, which cannot throw, ignores such rows).
 */
export function crossEntropyReference(logits: ArrayLike<number>, targets: ArrayLike<number>, rows: number, classes: number, scale: number): CrossEntropyResult {
  const losses = new Float64Array(rows);
  const dLogits = new Float64Array(rows * classes);
  const predicted = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    let max = logits[base];
    let arg = 0;
    for (let c = 1; c < classes; c++) {
      if (logits[base + c] > max) {
        max = logits[base + c];
        arg = c;
      }
    }
    predicted[r] = arg;
    const t = targets[r];
    if (t === IGNORED_TARGET) continue;
    if (!(Number.isInteger(t) && t >= 0 && t < classes)) throw new RangeError(`crossEntropyReference: target ${t} of row ${r} is not a class < ${classes}`);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[base + c] - max);
    losses[r] = max - logits[base + t] + Math.log(sum);
    for (let c = 0; c < classes; c++) dLogits[base + c] = scale * (Math.exp(logits[base + c] - max) / sum - (c === t ? 1 : 0));
  }
  return { losses, dLogits, predicted };
}
