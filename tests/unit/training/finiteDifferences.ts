// Shared by the f64 training-step reference tests (useLiteTrainingReference.test.ts, bertTrainingReference.test.ts):
// relative errors and the check of analytic gradients against central finite differences.
import { expect } from 'vitest';
import { l2Norm, type TrainableGrads, type TrainableParams } from '../../../src/training/reference/useLiteTrainingReference';

/** max |a − b| / max |b| over paired entries. */
export function relMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / scale;
}

export const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

export interface GradientCheckOptions {
  /** Step of the central differences. */
  h: number;
  /** Each tensor's analytic gradient must have at least this L2 norm. */
  minNorm: number;
  /** Entry-by-entry relative tolerance, for every entry above 1e-3 of the tensor's norm. */
  entryTol: number;
  /** Prefix of the failure messages. */
  label: string;
}

/**
 * Checks `grads` of each named tensor against central differences of `loss` around `params`: whole tensor
 * max |error| / max |fd| < 1e-6, norm > minNorm, entry by entry as `entryTol`. Returns the worst whole-tensor error.
 */
export function checkGradients(
  params: TrainableParams,
  grads: TrainableGrads,
  names: readonly (keyof TrainableParams)[],
  loss: (p: TrainableParams) => number,
  o: GradientCheckOptions,
): number {
  const { h } = o;
  let worst = 0;
  for (const name of names) {
    const a = grads[name]!;
    const fd = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) {
      const p = { ...params, [name]: Float64Array.from(params[name]!) };
      const v = p[name]!;
      v[i] = params[name]![i] + h;
      const up = loss(p);
      v[i] = params[name]![i] - h;
      const down = loss(p);
      fd[i] = (up - down) / (2 * h);
    }
    const e = relMaxError(a, fd);
    worst = Math.max(worst, e);
    expect(e, `${o.label} ${name}`).toBeLessThan(1e-6);
    const norm = l2Norm(a);
    expect(norm, `${o.label} ${name}`).toBeGreaterThan(o.minNorm);
    for (let i = 0; i < a.length; i++) {
      if (Math.abs(a[i]) > 1e-3 * norm) expect(Math.abs(fd[i] - a[i]) / Math.abs(a[i]), `${o.label} ${name}[${i}]`).toBeLessThan(o.entryTol);
    }
  }
  return worst;
}
