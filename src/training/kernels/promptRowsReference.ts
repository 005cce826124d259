// Soft prompt at rows [start, start + N) in double precision: the reference for shaders/training/promptRows.wgsl.
//   forward   rows start + p (p < N) of every example of x become prompt[p] + base[p]; other rows are copied
//   backward  dPrompt[p, c] = Σ_b dX[b·seqLen + start + p, c]
// Affine in the prompt with unit coefficients, so the backward is the batch sum of the gradient at those rows.

export interface PromptRowsShape {
  batch: number;
  seqLen: number;
  promptLength: number;
  d: number;
  /** First prompt row of each example (BERT: 1, after [CLS]). */
  start: number;
}

/** x [batch·seqLen, d] with the prompt rows replaced (a new array; x is not modified). */
export function promptRowsForwardReference(
  prompt: ArrayLike<number>,
  base: ArrayLike<number>,
  x: ArrayLike<number>,
  { batch, seqLen, promptLength, d, start }: PromptRowsShape,
): Float64Array {
  const out = Float64Array.from(x);
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < promptLength; p++) {
      for (let c = 0; c < d; c++) out[(b * seqLen + start + p) * d + c] = prompt[p * d + c] + base[p * d + c];
    }
  }
  return out;
}

/** dPrompt [N, d] from dX [batch·seqLen, d]. */
export function promptRowsBackwardReference(dX: ArrayLike<number>, { batch, seqLen, promptLength, d, start }: PromptRowsShape): Float64Array {
  const dPrompt = new Float64Array(promptLength * d);
  for (let p = 0; p < promptLength; p++) {
    for (let c = 0; c < d; c++) {
      let s = 0;
      for (let b = 0; b < batch; b++) s += dX[(b * seqLen + start + p) * d + c];
      dPrompt[p * d + c] = s;
    }
  }
  return dPrompt;
}
