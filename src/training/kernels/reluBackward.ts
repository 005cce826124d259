// Binds and dispatches shaders/training/reluBackward.wgsl:
//   dX = dY ⊙ [y > 0]      (y is the ReLU's output, as the forward keeps it)
// Entry point main (vec4) when count % 4 == 0, else mainScalar. Reference: reluBackwardReference.ts.

import { prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { requireBytes, requireDims, requireNoAlias } from '../../transformer/kernels/bindings';

export interface ReluBackwardBindings {
  /** f32 [count]: the ReLU output */
  y: Binding;
  /** f32 [count]: gradient with respect to y */
  dY: Binding;
  /** f32 [count], written; must not alias y or dY */
  dX: Binding;
  count: number;
}

export class ReluBackwardKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly vec4: GPUComputePipeline,
    private readonly scalar: GPUComputePipeline,
  ) {}

  static async create(runtime: GpuRuntime): Promise<ReluBackwardKernel> {
    const [vec4, scalar] = await Promise.all([
      runtime.pipeline('training/reluBackward.wgsl', 'main'),
      runtime.pipeline('training/reluBackward.wgsl', 'mainScalar'),
    ]);
    return new ReluBackwardKernel(runtime, vec4, scalar);
  }

  /** The uniform { count } is appended as the last binding (3). */
  prepare(x: ReluBackwardBindings): PreparedDispatch {
    const { count } = x;
    const name = 'reluBackward';
    requireDims(name, { count });
    if (count > 0xffffffff) throw new RangeError(`${name}: count must fit in a u32, got ${count}`);
    requireBytes(name, 'y', x.y, count * 4);
    requireBytes(name, 'dY', x.dY, count * 4);
    requireBytes(name, 'dX', x.dX, count * 4);
    requireNoAlias(name, x.dX, { y: x.y, dY: x.dY });
    const vec4 = count % 4 === 0;
    const invocations = vec4 ? count / 4 : count;
    return prepareDispatch(
      this.runtime,
      `${name} ${count}${vec4 ? ' (vec4)' : ''}`,
      vec4 ? this.vec4 : this.scalar,
      [x.y, x.dY, x.dX],
      Uint32Array.of(count, 0, 0, 0),
      this.runtime.rowGrid(Math.ceil(invocations / 64)),
    );
  }
}
