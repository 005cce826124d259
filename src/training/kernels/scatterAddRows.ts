// Binds and dispatches shaders/training/scatterAddRows.wgsl, the backward of GatherRowsKernel:
//   dst[index[r], :] += src[r, :]
// Precondition: index holds unique rows (< dstRows); duplicates race on the GPU and lose additions. The
// kernel cannot see the index buffer's contents, so callers build it with plainRowIndex() (unique by
// construction) or check a host copy with checkScatterIndex(). Out-of-range indices are skipped on the GPU.
// Reference: scatterAddRowsReference.ts.

import { packParams, prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { requireBytes, requireDims, requireNoAlias } from '../../transformer/kernels/bindings';

export interface ScatterAddRowsBindings {
  /** f32 [count, width] */
  src: Binding;
  /** u32 [count]: UNIQUE destination rows, each < dstRows */
  index: Binding;
  /** f32 [dstRows, width], read and written (dst[index[r]] += src[r]) */
  dst: Binding;
  count: number;
  width: number;
  dstRows: number;
}

export class ScatterAddRowsKernel {
  private constructor(private readonly runtime: GpuRuntime, private readonly pipeline: GPUComputePipeline) {}

  static async create(runtime: GpuRuntime): Promise<ScatterAddRowsKernel> {
    return new ScatterAddRowsKernel(runtime, await runtime.pipeline('training/scatterAddRows.wgsl'));
  }

  /** The uniform { count, width, dstRows } is appended as the last binding (3). */
  prepare(x: ScatterAddRowsBindings): PreparedDispatch {
    const { count, width, dstRows } = x;
    const name = 'scatterAddRows';
    requireDims(name, { count, width, dstRows });
    requireBytes(name, 'src', x.src, count * width * 4);
    requireBytes(name, 'index', x.index, count * 4);
    requireBytes(name, 'dst', x.dst, dstRows * width * 4);
    requireNoAlias(name, x.dst, { src: x.src, index: x.index });
    return prepareDispatch(
      this.runtime,
      `${name} ${count}×${width} into ${dstRows}`,
      this.pipeline,
      [x.src, x.index, x.dst],
      packParams([{ u32: count }, { u32: width }, { u32: dstRows }]),
      this.runtime.rowGrid(count),
    );
  }
}

/**
 * Rows of the m plain tokens of each example in the layout [ P (N rows) ; k' (m rows) ; x' ] (padded to
 * seqLen): index[b·m + i] = b·seqLen + N + i. Unique, so valid for ScatterAddRowsKernel; gathering with it
 * (GatherRowsKernel) gives the reconstruction head's input [batch·m, width] in example-major order.
 */
export function plainRowIndex(batch: number, seqLen: number, promptLength: number, m: number): Uint32Array {
  for (const [k, v] of Object.entries({ batch, seqLen, promptLength, m })) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`plainRowIndex: ${k} must be an integer ≥ 0, got ${v}`);
  }
  if (promptLength + m > seqLen) throw new RangeError(`plainRowIndex: promptLength + m = ${promptLength + m} exceeds seqLen ${seqLen}`);
  if (batch * seqLen > 0xffffffff) throw new RangeError('plainRowIndex: batch·seqLen must fit in a u32');
  const index = new Uint32Array(batch * m);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < m; i++) index[b * m + i] = b * seqLen + promptLength + i;
  }
  return index;
}

/** Throws a RangeError unless every index is < dstRows and no index repeats (ScatterAddRowsKernel's precondition). */
export function checkScatterIndex(index: ArrayLike<number>, dstRows: number): void {
  const seen = new Set<number>();
  for (let r = 0; r < index.length; r++) {
    const v = index[r];
    if (!Number.isInteger(v) || v < 0 || v >= dstRows) throw new RangeError(`scatterAddRows: index[${r}] = ${v} is not a row of dst (${dstRows} rows)`);
    if (seen.has(v)) throw new RangeError(`scatterAddRows: index[${r}] = ${v} repeats an earlier index`);
    seen.add(v);
  }
}
