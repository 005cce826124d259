// Helpers for the transformer kernel tests: upload inputs, run prepared dispatches in one submit, read back,
// and compare against a double-precision reference with a stated tolerance.

import { expect } from 'vitest';
import { destroyDispatches, encodeDispatches, type PreparedDispatch } from '../../../src/gpu/preparedDispatch';
import type { GpuRuntime } from '../../../src/gpu/runtime';
import { testRandom } from '../gpuTestRuntime';

/** Uniform numbers in [lo, hi) from a seeded generator. */
export function randomArray(seed: number, length: number, lo = -1, hi = 1): Float32Array {
  const rand = testRandom(seed);
  return Float32Array.from({ length }, () => lo + (hi - lo) * rand());
}

export class TestBuffers {
  private readonly all: GPUBuffer[] = [];
  constructor(private readonly rt: GpuRuntime) {}

  upload(data: Float32Array | Uint32Array, label = 'input'): GPUBuffer {
    const b = this.rt.storage(data.byteLength, label);
    this.rt.write(b, data);
    this.all.push(b);
    return b;
  }

  /** An output buffer pre-filled with NaN, so a missed write shows up as a mismatch. */
  output(floats: number, label = 'output'): GPUBuffer {
    return this.upload(new Float32Array(floats).fill(Number.NaN), label);
  }

  destroy(): void {
    for (const b of this.all) b.destroy();
  }
}

export async function run(rt: GpuRuntime, dispatches: PreparedDispatch[]): Promise<void> {
  await rt.submit('transformer kernel test', (enc) => encodeDispatches(enc, dispatches));
  destroyDispatches(dispatches);
}

export async function readFloats(rt: GpuRuntime, buffer: GPUBuffer, floats: number): Promise<Float32Array> {
  return new Float32Array(await rt.read(buffer, floats * 4));
}

/**
 * Asserts |got − want| ≤ atol + rtol·|want| elementwise (atol may be per element) and reports the worst
 * element. Returns the largest absolute error, for tests that want to print it.
 */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, atol: number | ArrayLike<number>, rtol: number, what: string): number {
  expect(got.length, `${what}: length`).toBe(want.length);
  let worst = -1;
  let worstExcess = -Infinity;
  let maxErr = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    const a = typeof atol === 'number' ? atol : atol[i];
    const excess = Number.isNaN(err) ? Infinity : err - (a + rtol * Math.abs(want[i]));
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
    if (err > maxErr || Number.isNaN(err)) maxErr = Number.isNaN(err) ? Infinity : err;
  }
  if (worstExcess > 0) {
    const a = typeof atol === 'number' ? atol : atol[worst];
    expect.fail(`${what}: element ${worst} is ${got[worst]}, want ${want[worst]} (|err| ${Math.abs(got[worst] - want[worst])} > ${a} + ${rtol}·|want|)`);
  }
  return maxErr;
}
