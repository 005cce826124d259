// Binds and dispatches shaders/training/columnSum.wgsl: out[c] = Σ_r x[r, c] (bias gradients), one
// invocation per column. Reference: columnSumReference.ts.

import { prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { requireBytes, requireDims, requireNoAlias } from '../../transformer/kernels/bindings';

export interface ColumnSumBindings {
  /** f32 [rows, cols] */
  x: Binding;
  /** f32 [cols], written (not accumulated) */
  out: Binding;
  rows: number;
  cols: number;
}

/** Columns per workgroup (columnSum.wgsl: one invocation per column). */
const COLS_PER_GROUP = 64;

export class ColumnSumKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly pipeline: GPUComputePipeline,
  ) {}

  static async create(runtime: GpuRuntime): Promise<ColumnSumKernel> {
    return new ColumnSumKernel(runtime, await runtime.pipeline('training/columnSum.wgsl', 'main'));
  }

  /** The uniform { rows, cols } is appended as the last binding (2). */
  prepare(x: ColumnSumBindings): PreparedDispatch {
    const { rows, cols } = x;
    const name = 'columnSum';
    requireDims(name, { rows, cols });
    requireBytes(name, 'x', x.x, rows * cols * 4);
    requireBytes(name, 'out', x.out, cols * 4);
    requireNoAlias(name, x.out, { x: x.x });
    return prepareDispatch(
      this.runtime,
      `${name} ${rows}×${cols}`,
      this.pipeline,
      [x.x, x.out],
      Uint32Array.of(rows, cols, 0, 0),
      this.runtime.rowGrid(Math.ceil(cols / COLS_PER_GROUP)),
    );
  }
}
