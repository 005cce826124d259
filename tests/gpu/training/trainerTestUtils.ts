// Shared by the GPU trainer tests: moving parameters between the f64 references and the f32 trainers, and
// the per-tensor error measure they are compared with.
import { expect } from 'vitest';
import type { TrainableParams as RefParams } from '../../../src/training/reference/useLiteTrainingReference';
import type { TrainableParams } from '../../../src/training/trainableParams';

/** Reference parameters rounded to f32, as the GPU gets them. */
export const f32 = (p: RefParams): TrainableParams => ({
  prompt: Float32Array.from(p.prompt),
  taskW: Float32Array.from(p.taskW),
  taskB: Float32Array.from(p.taskB),
  recW2: Float32Array.from(p.recW2 ?? []),
  recW1: Float32Array.from(p.recW1 ?? []),
});

/** The reference on the f32-rounded parameters the GPU got. */
export const asRef = (p: TrainableParams, rec: boolean): RefParams => ({
  prompt: Float64Array.from(p.prompt),
  taskW: Float64Array.from(p.taskW),
  taskB: Float64Array.from(p.taskB),
  ...(rec ? { recW2: Float64Array.from(p.recW2), recW1: Float64Array.from(p.recW1) } : {}),
});

/** max |got − want| / max |want| per tensor: one number that f32 accumulation keeps near 1e-6. */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return err / Math.max(scale, 1e-30);
}
