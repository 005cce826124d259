// Binds and dispatches shaders/transformer/gatherRows.wgsl:
//   out[i, :] = x[index[i], :]
// Reference: gatherRowsReference.ts.

import { prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { bindingBytes, requireBytes, requireDims, requireNoAlias } from './bindings';

export interface GatherRowsBindings {
  /** f32 [sourceRows, cols] */
  x: Binding;
  /** u32 [rows]; indices past sourceRows are clamped to its last row (validate them before) */
  index: Binding;
  /** f32 [rows, cols] */
  out: Binding;
  /** rows gathered */
  rows: number;
  cols: number;
  /** Rows of x; defaults to as many as its binding holds. */
  sourceRows?: number;
}

export class GatherRowsKernel {
  private constructor(private readonly runtime: GpuRuntime, private readonly pipeline: GPUComputePipeline) {}

  static async create(runtime: GpuRuntime): Promise<GatherRowsKernel> {
    return new GatherRowsKernel(runtime, await runtime.pipeline('transformer/gatherRows.wgsl'));
  }

  /** The uniform { rows, cols, sourceRows } is appended as the last binding (3). */
  prepare(x: GatherRowsBindings): PreparedDispatch {
    const { rows, cols } = x;
    const sourceRows = x.sourceRows ?? Math.floor(bindingBytes(x.x) / (cols * 4));
    requireDims('gatherRows', { rows, cols, sourceRows });
    requireBytes('gatherRows', 'x', x.x, sourceRows * cols * 4);
    requireBytes('gatherRows', 'index', x.index, rows * 4);
    requireBytes('gatherRows', 'out', x.out, rows * cols * 4);
    requireNoAlias('gatherRows', x.out, { x: x.x, index: x.index });
    return prepareDispatch(this.runtime, `gatherRows ${rows}×${cols}`, this.pipeline, [x.x, x.index, x.out], Uint32Array.of(rows, cols, sourceRows, 0), this.runtime.rowGrid(rows));
  }
}
