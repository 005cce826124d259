// The learning-rate schedule of a training run: linear warm-up, then linear decay to 0.

export interface ScheduleOptions {
  /** Peak learning rate (> 0). */
  lr: number;
  /** Warm-up length in steps (integer, 0 ≤ W ≤ totalSteps). Give this or warmupFraction, not both. */
  warmupSteps?: number;
  /** Warm-up length as a fraction f ∈ [0, 1] of totalSteps: W = round(f · totalSteps). */
  warmupFraction?: number;
}

/** The warm-up length W in steps for these options (0 when neither option is given). */
export function warmupLength(totalSteps: number, options: ScheduleOptions): number {
  const { warmupSteps, warmupFraction } = options;
  if (warmupSteps !== undefined && warmupFraction !== undefined) throw new RangeError('give warmupSteps or warmupFraction, not both');
  if (warmupFraction !== undefined) {
    if (!(warmupFraction >= 0 && warmupFraction <= 1)) throw new RangeError(`warmupFraction must be in [0, 1], got ${warmupFraction}`);
    return Math.round(warmupFraction * totalSteps);
  }
  const w = warmupSteps ?? 0;
  if (!Number.isInteger(w) || w < 0 || w > totalSteps) throw new RangeError(`warmupSteps must be an integer in [0, ${totalSteps}], got ${w}`);
  return w;
}

/**
 * The learning rate of 0-based optimiser step `step` out of `totalSteps` (T), with warm-up W and peak lr:
 *
 *     step < W:        lr · (step + 1) / W          (lr/W at step 0, lr at step W − 1)
 *     W ≤ step < T:    lr · (T − step) / (T − W)    (lr at step W, lr/(T − W) at the last step T − 1)
 *     step = T:        0                             (the end of the decay; no update uses it)
 *
 * Every one of the T updates gets a positive rate (unlike a schedule that starts at 0, which wastes the
 * first step), and the rate reaches 0 exactly at T. With W = 0 it is a plain linear decay from lr.
 */
export function learningRate(step: number, totalSteps: number, options: ScheduleOptions): number {
  if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new RangeError(`totalSteps must be a positive integer, got ${totalSteps}`);
  if (!Number.isInteger(step) || step < 0 || step > totalSteps) throw new RangeError(`step must be an integer in [0, ${totalSteps}], got ${step}`);
  if (!(options.lr > 0 && Number.isFinite(options.lr))) throw new RangeError(`lr must be a positive finite number, got ${options.lr}`);
  const w = warmupLength(totalSteps, options);
  if (step >= totalSteps) return 0;
  if (step < w) return (options.lr * (step + 1)) / w;
  return (options.lr * (totalSteps - step)) / (totalSteps - w);
}
