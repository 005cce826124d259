// Binds and dispatches shaders/training/layerNormBackward.wgsl, the input gradient of layer normalisation
// (gamma and beta are frozen, so no weight gradients):
//   dX[r, :] = inv·(g − mean(g) − x̂·mean(g ⊙ x̂)) + dRes[r, :],   g = dOut[r, :] ⊙ gamma
//   x̂ = (x − μ)·inv, inv = 1/sqrt(σ² + eps) (biased variance, as in the forward pass); dRes only with
//   the `residual` option (the gradient that reaches x through the residual branch).
// One invocation per row; entry point main (vec4) when cols % 4 == 0, else mainScalar.
// Reference: layerNormBackwardReference.ts.

import { packParams, prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { requireBytes, requireDims, requireNoAlias } from '../../transformer/kernels/bindings';

export interface LayerNormBackwardOptions {
  /** Add dRes to the result (the residual branch's gradient). */
  residual?: boolean;
}

export interface LayerNormBackwardBindings {
  /** f32 [rows, cols]: the forward input */
  x: Binding;
  /** f32 [cols] */
  gamma: Binding;
  /** f32 [rows, cols]: gradient of the forward output */
  dOut: Binding;
  /** f32 [rows, cols]; required exactly when created with residual */
  dRes?: Binding;
  /** f32 [rows, cols], written; must not alias any input */
  dX: Binding;
  rows: number;
  cols: number;
  /** The forward pass's eps. */
  eps: number;
}

/** Rows per workgroup (layerNormBackward.wgsl: one invocation per row). */
const ROWS_PER_GROUP = 64;

export class LayerNormBackwardKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly residual: boolean,
    private readonly vec4: GPUComputePipeline,
    private readonly scalar: GPUComputePipeline,
    private readonly unused: GPUBuffer,
  ) {}

  static async create(runtime: GpuRuntime, options: LayerNormBackwardOptions = {}): Promise<LayerNormBackwardKernel> {
    const residual = options.residual ?? false;
    const constants = { HAS_RESIDUAL: residual ? 1 : 0 };
    const [vec4, scalar] = await Promise.all([
      runtime.pipeline('training/layerNormBackward.wgsl', 'main', constants),
      runtime.pipeline('training/layerNormBackward.wgsl', 'mainScalar', constants),
    ]);
    return new LayerNormBackwardKernel(runtime, residual, vec4, scalar, runtime.storage(16, 'layerNormBackward.unused'));
  }

  /** One layer-norm backward; the uniform { rows, cols, eps } is appended as the last binding (5). */
  prepare(x: LayerNormBackwardBindings): PreparedDispatch {
    const { rows, cols, eps } = x;
    const name = 'layerNormBackward';
    requireDims(name, { rows, cols });
    if (!(eps >= 0 && Number.isFinite(eps))) throw new RangeError(`${name}: eps must be a finite number ≥ 0, got ${eps}`);
    if (this.residual !== (x.dRes !== undefined)) {
      throw new RangeError(`${name}: created with residual=${this.residual} but dRes ${x.dRes ? 'was' : 'was not'} given`);
    }
    requireBytes(name, 'x', x.x, rows * cols * 4);
    requireBytes(name, 'gamma', x.gamma, cols * 4);
    requireBytes(name, 'dOut', x.dOut, rows * cols * 4);
    if (x.dRes) requireBytes(name, 'dRes', x.dRes, rows * cols * 4);
    requireBytes(name, 'dX', x.dX, rows * cols * 4);
    requireNoAlias(name, x.dX, { x: x.x, gamma: x.gamma, dOut: x.dOut, dRes: x.dRes });
    return prepareDispatch(
      this.runtime,
      `${name} ${rows}×${cols}${this.residual ? ' + dRes' : ''}`,
      cols % 4 === 0 ? this.vec4 : this.scalar,
      [x.x, x.gamma, x.dOut, x.dRes ?? this.unused, x.dX],
      packParams([{ u32: rows }, { u32: cols }, { f32: eps }]),
      this.runtime.rowGrid(Math.ceil(rows / ROWS_PER_GROUP)),
    );
  }
}
