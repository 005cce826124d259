// Binds and dispatches shaders/transformer/layerNorm.wgsl:
//   out[r, :] = (x[r, :] − mean) / sqrt(var + eps) · gamma + beta   (biased variance, two-pass)
// One invocation per row; entry point main (vec4) when cols % 4 == 0, else mainScalar.
// Reference: layerNormReference.ts.

import { packParams, prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { requireBytes, requireDims, requireNoAlias } from './bindings';

export interface LayerNormBindings {
  /** f32 [rows, cols] */
  x: Binding;
  /** f32 [cols] */
  gamma: Binding;
  /** f32 [cols] */
  beta: Binding;
  /** f32 [rows, cols]; must not alias x */
  out: Binding;
  rows: number;
  cols: number;
  eps: number;
}

/** Rows per workgroup (layerNorm.wgsl: one invocation per row). */
const ROWS_PER_GROUP = 64;

export class LayerNormKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly vec4: GPUComputePipeline,
    private readonly scalar: GPUComputePipeline,
  ) {}

  static async create(runtime: GpuRuntime): Promise<LayerNormKernel> {
    const [vec4, scalar] = await Promise.all([
      runtime.pipeline('transformer/layerNorm.wgsl', 'main'),
      runtime.pipeline('transformer/layerNorm.wgsl', 'mainScalar'),
    ]);
    return new LayerNormKernel(runtime, vec4, scalar);
  }

  /** One layer norm; the uniform { rows, cols, eps } is appended as the last binding (4). */
  prepare(x: LayerNormBindings): PreparedDispatch {
    const { rows, cols, eps } = x;
    requireDims('layerNorm', { rows, cols });
    if (!(eps >= 0 && Number.isFinite(eps))) throw new RangeError(`layerNorm: eps must be a finite number ≥ 0, got ${eps}`);
    requireBytes('layerNorm', 'x', x.x, rows * cols * 4);
    requireBytes('layerNorm', 'gamma', x.gamma, cols * 4);
    requireBytes('layerNorm', 'beta', x.beta, cols * 4);
    requireBytes('layerNorm', 'out', x.out, rows * cols * 4);
    requireNoAlias('layerNorm', x.out, { x: x.x, gamma: x.gamma, beta: x.beta });
    return prepareDispatch(
      this.runtime,
      `layerNorm ${rows}×${cols}`,
      cols % 4 === 0 ? this.vec4 : this.scalar,
      [x.x, x.gamma, x.beta, x.out],
      packParams([{ u32: rows }, { u32: cols }, { f32: eps }]),
      this.runtime.rowGrid(Math.ceil(rows / ROWS_PER_GROUP)),
    );
  }
}
