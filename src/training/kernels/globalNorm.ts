// Binds and dispatches shaders/training/globalNorm.wgsl, global-norm gradient clipping without a readback:
//   SumSquaresKernel  partials[slot] = Σ x²                    (one dispatch per gradient buffer)
//   ClipScaleKernel   out = [norm, scale], norm = sqrt(Σ partials[0..slots)),
//                     scale = maxNorm > 0 ? min(1, maxNorm / (norm + 1e-6)) : 1
// out[1] is the `clip` binding of AdamWKernel. Reference: globalNormReference.ts.

import { packParams, prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { requireBytes, requireDims, requireNoAlias } from '../../transformer/kernels/bindings';

const SHADER = 'training/globalNorm.wgsl';

export interface SumSquaresBindings {
  /** f32 [count] */
  x: Binding;
  /** f32 [> slot], written at `slot` only */
  partials: Binding;
  count: number;
  slot: number;
}

export interface ClipScaleBindings {
  /** f32 [slots]: the sumSquares results */
  partials: Binding;
  /** f32 [2], written: [global norm, clip scale] */
  out: Binding;
  slots: number;
  /** ≤ 0 disables clipping (scale 1); the norm is still written. */
  maxNorm: number;
}

export class SumSquaresKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly pipeline: GPUComputePipeline,
  ) {}

  static async create(runtime: GpuRuntime): Promise<SumSquaresKernel> {
    return new SumSquaresKernel(runtime, await runtime.pipeline(SHADER, 'sumSquares'));
  }

  /** One workgroup; the uniform { count, slot } is appended as the last binding (2). */
  prepare(x: SumSquaresBindings): PreparedDispatch {
    const { count, slot } = x;
    const name = 'sumSquares';
    requireDims(name, { count });
    requireDims(name, { slot }, 0);
    requireBytes(name, 'x', x.x, count * 4);
    requireBytes(name, 'partials', x.partials, (slot + 1) * 4);
    requireNoAlias(name, x.partials, { x: x.x });
    return prepareDispatch(this.runtime, `${name} ${count} → [${slot}]`, this.pipeline, [x.x, x.partials], Uint32Array.of(count, slot, 0, 0), [1]);
  }
}

export class ClipScaleKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly pipeline: GPUComputePipeline,
  ) {}

  static async create(runtime: GpuRuntime): Promise<ClipScaleKernel> {
    return new ClipScaleKernel(runtime, await runtime.pipeline(SHADER, 'clipScale'));
  }

  /** One invocation; the uniform { slots, maxNorm } is appended as the last binding (2). */
  prepare(x: ClipScaleBindings): PreparedDispatch {
    const { slots, maxNorm } = x;
    const name = 'clipScale';
    requireDims(name, { slots });
    if (!Number.isFinite(maxNorm)) throw new RangeError(`${name}: maxNorm must be finite (≤ 0 disables clipping), got ${maxNorm}`);
    requireBytes(name, 'partials', x.partials, slots * 4);
    requireBytes(name, 'out', x.out, 8);
    requireNoAlias(name, x.out, { partials: x.partials });
    return prepareDispatch(
      this.runtime,
      `${name} ${slots} slots, max ${maxNorm}`,
      this.pipeline,
      [x.partials, x.out],
      packParams([{ u32: slots }, { f32: maxNorm }]),
      [1],
    );
  }
}
