// Global-norm clipping in double precision: the reference for shaders/training/globalNorm.wgsl.

/** Σ x². */
export function sumSquaresReference(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

/** [norm, scale]: norm = sqrt(Σ partials), scale = maxNorm > 0 ? min(1, maxNorm / (norm + 1e-6)) : 1. */
export function clipScaleReference(partials: ArrayLike<number>, maxNorm: number): [number, number] {
  let s = 0;
  for (let i = 0; i < partials.length; i++) s += partials[i];
  const norm = Math.sqrt(s);
  return [norm, maxNorm > 0 ? Math.min(1, maxNorm / (norm + 1e-6)) : 1];
}

/** The clip scale for a set of gradient tensors (global norm over all of them). */
export function globalClipReference(gradients: readonly ArrayLike<number>[], maxNorm: number): [number, number] {
  return clipScaleReference(gradients.map(sumSquaresReference), maxNorm);
}
