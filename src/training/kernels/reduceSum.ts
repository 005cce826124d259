// Binds and dispatches shaders/training/reduceSum.wgsl (one workgroup each):
//   ReduceSumKernel     out[slot] = (accumulate ? out[slot] : 0) + factor·Σ x          (loss sums)
//   CountCorrectKernel  out[slot] = (accumulate ? out[slot] : 0) + factor·#{r : targets[r] ≠ IGNORED_TARGET,
//                                                                       predicted[r] == targets[r]}
// The trainer accumulates into a small metrics buffer every step and reads it every few steps.
// Reference: reduceSumReference.ts.

import { packParams, prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { requireBytes, requireDims, requireNoAlias } from '../../transformer/kernels/bindings';

export interface ReduceSumBindings {
  /** f32 [count] */
  x: Binding;
  /** f32 [> slot], read and written at `slot` only */
  out: Binding;
  count: number;
  slot: number;
  factor: number;
  /** Add to out[slot] (true) or overwrite it (false). */
  accumulate: boolean;
}

export interface CountCorrectBindings {
  /** u32 [rows] (CrossEntropyKernel's predicted) */
  predicted: Binding;
  /** u32 [rows]; IGNORED_TARGET rows are not counted */
  targets: Binding;
  /** f32 [> slot], read and written at `slot` only */
  out: Binding;
  /** rows */
  count: number;
  slot: number;
  /** Multiplies the count (default 1). */
  factor?: number;
  /** Add to out[slot] (default true) or overwrite it. */
  accumulate?: boolean;
}

export class ReduceSumKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly pipeline: GPUComputePipeline,
  ) {}

  static async create(runtime: GpuRuntime): Promise<ReduceSumKernel> {
    return new ReduceSumKernel(runtime, await runtime.pipeline('training/reduceSum.wgsl', 'main'));
  }

  /** One workgroup; the uniform { count, slot, factor, accumulate } is appended as the last binding (2). */
  prepare(x: ReduceSumBindings): PreparedDispatch {
    const { count, slot, factor, accumulate } = x;
    const name = 'reduceSum';
    requireDims(name, { count });
    requireDims(name, { slot }, 0);
    if (!Number.isFinite(factor)) throw new RangeError(`${name}: factor must be finite, got ${factor}`);
    requireBytes(name, 'x', x.x, count * 4);
    requireBytes(name, 'out', x.out, (slot + 1) * 4);
    requireNoAlias(name, x.out, { x: x.x });
    return prepareDispatch(
      this.runtime,
      `${name} ${count} → [${slot}]`,
      this.pipeline,
      [x.x, x.out],
      packParams([{ u32: count }, { u32: slot }, { f32: factor }, { u32: accumulate ? 1 : 0 }]),
      [1],
    );
  }
}

export class CountCorrectKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly pipeline: GPUComputePipeline,
  ) {}

  static async create(runtime: GpuRuntime): Promise<CountCorrectKernel> {
    return new CountCorrectKernel(runtime, await runtime.pipeline('training/reduceSum.wgsl', 'countCorrect'));
  }

  /** One workgroup; the uniform { count, slot, factor, accumulate } is appended as the last binding (3). */
  prepare(x: CountCorrectBindings): PreparedDispatch {
    const { count, slot } = x;
    const factor = x.factor ?? 1;
    const accumulate = x.accumulate ?? true;
    const name = 'countCorrect';
    requireDims(name, { count });
    requireDims(name, { slot }, 0);
    if (!Number.isFinite(factor)) throw new RangeError(`${name}: factor must be finite, got ${factor}`);
    requireBytes(name, 'predicted', x.predicted, count * 4);
    requireBytes(name, 'targets', x.targets, count * 4);
    requireBytes(name, 'out', x.out, (slot + 1) * 4);
    requireNoAlias(name, x.out, { predicted: x.predicted, targets: x.targets });
    return prepareDispatch(
      this.runtime,
      `${name} ${count} → [${slot}]`,
      this.pipeline,
      [x.predicted, x.targets, x.out],
      packParams([{ u32: count }, { u32: slot }, { f32: factor }, { u32: accumulate ? 1 : 0 }]),
      [1],
    );
  }
}
