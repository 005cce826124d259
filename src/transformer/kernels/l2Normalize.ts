// Binds and dispatches shaders/transformer/l2Normalize.wgsl:
//   out[r, :] = x[r, :] / sqrt(max(Σ x², 1e-12))
// One invocation per row; entry point main (vec4) when cols % 4 == 0, else mainScalar.
// Reference: l2NormalizeReference.ts.

import { prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { requireBytes, requireDims, requireNoAlias } from './bindings';

export interface L2NormalizeBindings {
  /** f32 [rows, cols] */
  x: Binding;
  /** f32 [rows, cols]; must not alias x */
  out: Binding;
  rows: number;
  cols: number;
}

const ROWS_PER_GROUP = 64;

export class L2NormalizeKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly vec4: GPUComputePipeline,
    private readonly scalar: GPUComputePipeline,
  ) {}

  static async create(runtime: GpuRuntime): Promise<L2NormalizeKernel> {
    const [vec4, scalar] = await Promise.all([
      runtime.pipeline('transformer/l2Normalize.wgsl', 'main'),
      runtime.pipeline('transformer/l2Normalize.wgsl', 'mainScalar'),
    ]);
    return new L2NormalizeKernel(runtime, vec4, scalar);
  }

  /** The uniform { rows, cols } is appended as the last binding (2). */
  prepare(x: L2NormalizeBindings): PreparedDispatch {
    const { rows, cols } = x;
    requireDims('l2Normalize', { rows, cols });
    requireBytes('l2Normalize', 'x', x.x, rows * cols * 4);
    requireBytes('l2Normalize', 'out', x.out, rows * cols * 4);
    requireNoAlias('l2Normalize', x.out, { x: x.x });
    return prepareDispatch(
      this.runtime,
      `l2Normalize ${rows}×${cols}`,
      cols % 4 === 0 ? this.vec4 : this.scalar,
      [x.x, x.out],
      Uint32Array.of(rows, cols, 0, 0),
      this.runtime.rowGrid(Math.ceil(rows / ROWS_PER_GROUP)),
    );
  }
}
