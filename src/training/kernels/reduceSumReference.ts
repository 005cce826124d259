// Metric reductions in double precision: the reference for shaders/training/reduceSum.wgsl.

import { IGNORED_TARGET } from './crossEntropyReference';

/** (previous ?? 0) + factor · Σ x: what ReduceSumKernel leaves in out[slot] (previous = out[slot] when accumulating). */
export function reduceSumReference(x: ArrayLike<number>, factor: number, previous = 0): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return previous + factor * s;
}

/** (previous ?? 0) + factor · #{r : targets[r] ≠ IGNORED_TARGET and predicted[r] == targets[r]}. */
export function countCorrectReference(predicted: ArrayLike<number>, targets: ArrayLike<number>, factor = 1, previous = 0): number {
  let n = 0;
  for (let r = 0; r < targets.length; r++) if (targets[r] !== IGNORED_TARGET && predicted[r] === targets[r]) n++;
  return previous + factor * n;
}
