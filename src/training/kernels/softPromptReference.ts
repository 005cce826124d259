// Soft prompt in double precision: the reference for shaders/training/softPrompt.wgsl.
//   forward   rows p < N of every example of x become prompt[p] + positions[p]; other rows are copied
//   backward  dPrompt[p, c] = Σ_b dX[b·seqLen + p, c]
// The forward is affine in the prompt with unit coefficients, so the backward is the sum over the batch of
// the gradient at the prompt rows (checked against finite differences in tests/unit/training).

export interface SoftPromptShape {
  batch: number;
  seqLen: number;
  promptLength: number;
  d: number;
}

/** x [batch·seqLen, d] with the prompt rows replaced (a new array; x is not modified). */
export function softPromptForwardReference(
  prompt: ArrayLike<number>,
  positions: ArrayLike<number>,
  x: ArrayLike<number>,
  { batch, seqLen, promptLength, d }: SoftPromptShape,
): Float64Array {
  const out = Float64Array.from(x);
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < promptLength; p++) {
      for (let c = 0; c < d; c++) out[(b * seqLen + p) * d + c] = prompt[p * d + c] + positions[p * d + c];
    }
  }
  return out;
}

/** dPrompt [N, d] from dX [batch·seqLen, d]. */
export function softPromptBackwardReference(dX: ArrayLike<number>, { batch, seqLen, promptLength, d }: SoftPromptShape): Float64Array {
  const dPrompt = new Float64Array(promptLength * d);
  for (let p = 0; p < promptLength; p++) {
    for (let c = 0; c < d; c++) {
      let s = 0;
      for (let b = 0; b < batch; b++) s += dX[(b * seqLen + p) * d + c];
      dPrompt[p * d + c] = s;
    }
  }
  return dPrompt;
}
