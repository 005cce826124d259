// Binds and dispatches shaders/transformer/meanPool.wgsl:
//   'mean'   out[b, :] = mean_{i < len[b]} x[b·seqLen + i, :]   (zeros when len[b] = 0)
//   'first'  out[b, :] = x[b·seqLen, :]                         (BERT's [CLS])
// Reference: meanPoolReference.ts.

import { prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { requireBytes, requireDims, requireNoAlias } from './bindings';

export type PoolMode = 'mean' | 'first';

export interface MeanPoolBindings {
  /** f32 [batch·seqLen, hidden] */
  x: Binding;
  /** u32 [batch]; required in 'mean' mode, ignored in 'first' */
  lengths?: Binding;
  /** f32 [batch, hidden] */
  out: Binding;
  batch: number;
  seqLen: number;
  hidden: number;
}

export class MeanPoolKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly mode: PoolMode,
    private readonly pipeline: GPUComputePipeline,
    private readonly unused: GPUBuffer,
  ) {}

  static async create(runtime: GpuRuntime, options: { mode?: PoolMode } = {}): Promise<MeanPoolKernel> {
    const mode = options.mode ?? 'mean';
    if (mode !== 'mean' && mode !== 'first') throw new RangeError(`meanPool: unknown mode '${mode as string}'`);
    const pipeline = await runtime.pipeline('transformer/meanPool.wgsl', 'main', { FIRST_TOKEN: mode === 'first' ? 1 : 0 });
    return new MeanPoolKernel(runtime, mode, pipeline, runtime.storage(16, 'meanPool.unused'));
  }

  /** The uniform { batch, seqLen, hidden } is appended as the last binding (3). */
  prepare(x: MeanPoolBindings): PreparedDispatch {
    const { batch, seqLen, hidden } = x;
    requireDims('meanPool', { batch, seqLen, hidden });
    if (this.mode === 'mean' && !x.lengths) throw new RangeError("meanPool: 'mean' mode needs lengths");
    requireBytes('meanPool', 'x', x.x, batch * seqLen * hidden * 4);
    requireBytes('meanPool', 'out', x.out, batch * hidden * 4);
    if (this.mode === 'mean') requireBytes('meanPool', 'lengths', x.lengths!, batch * 4);
    requireNoAlias('meanPool', x.out, { x: x.x, lengths: x.lengths });
    return prepareDispatch(
      this.runtime,
      `meanPool(${this.mode}) ${batch}×${seqLen}×${hidden}`,
      this.pipeline,
      [x.x, x.lengths ?? this.unused, x.out],
      Uint32Array.of(batch, seqLen, hidden, 0),
      [Math.ceil(hidden / 64), batch],
    );
  }
}
