// Binds and dispatches shaders/training/rangeMeanPool.wgsl (two entry points), the task head's pooling:
//   prepareForward   out[b, :] = mean of rows [start, min(lengths[b], seqLen)) of example b (zeros if empty)
//   prepareBackward  dX[b·seqLen + i, :] = dPooled[b, :] / count_b inside that range, 0 on every other row
// The backward writes all of dX, padding rows included. Reference: rangeMeanPoolReference.ts.

import { prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { requireBytes, requireDims, requireNoAlias } from '../../transformer/kernels/bindings';

interface RangeShape {
  /** u32 [batch]: rows used by each example (lengths past seqLen count as seqLen) */
  lengths: Binding;
  batch: number;
  seqLen: number;
  hidden: number;
  /** First row of the range (N + m for the task head); an integer ≥ 0 (≥ seqLen makes every range empty) */
  start: number;
}

export interface RangeMeanPoolForwardBindings extends RangeShape {
  /** f32 [batch·seqLen, hidden] */
  x: Binding;
  /** f32 [batch, hidden] */
  out: Binding;
}

export interface RangeMeanPoolBackwardBindings extends RangeShape {
  /** f32 [batch, hidden] */
  dPooled: Binding;
  /** f32 [batch·seqLen, hidden], every element written */
  dX: Binding;
}

export class RangeMeanPoolKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly forward: GPUComputePipeline,
    private readonly backward: GPUComputePipeline,
  ) {}

  static async create(runtime: GpuRuntime): Promise<RangeMeanPoolKernel> {
    const [forward, backward] = await Promise.all([
      runtime.pipeline('training/rangeMeanPool.wgsl', 'forward'),
      runtime.pipeline('training/rangeMeanPool.wgsl', 'backward'),
    ]);
    return new RangeMeanPoolKernel(runtime, forward, backward);
  }

  /** The uniform { batch, seqLen, hidden, start } is appended as the last binding (3). */
  prepareForward(x: RangeMeanPoolForwardBindings): PreparedDispatch {
    const { batch, seqLen, hidden, start } = x;
    const name = 'rangeMeanPool.forward';
    checkShape(name, x);
    requireBytes(name, 'x', x.x, batch * seqLen * hidden * 4);
    requireBytes(name, 'out', x.out, batch * hidden * 4);
    requireNoAlias(name, x.out, { x: x.x, lengths: x.lengths });
    return prepareDispatch(
      this.runtime,
      `${name} ${batch}×${seqLen}×${hidden} from ${start}`,
      this.forward,
      [x.x, x.lengths, x.out],
      Uint32Array.of(batch, seqLen, hidden, start),
      this.runtime.rowGrid(Math.ceil((batch * hidden) / 64)),
    );
  }

  /** The uniform { batch, seqLen, hidden, start } is appended as the last binding (3). */
  prepareBackward(x: RangeMeanPoolBackwardBindings): PreparedDispatch {
    const { batch, seqLen, hidden, start } = x;
    const name = 'rangeMeanPool.backward';
    checkShape(name, x);
    requireBytes(name, 'dPooled', x.dPooled, batch * hidden * 4);
    requireBytes(name, 'dX', x.dX, batch * seqLen * hidden * 4);
    requireNoAlias(name, x.dX, { dPooled: x.dPooled, lengths: x.lengths });
    return prepareDispatch(
      this.runtime,
      `${name} ${batch}×${seqLen}×${hidden} from ${start}`,
      this.backward,
      [x.dPooled, x.lengths, x.dX],
      Uint32Array.of(batch, seqLen, hidden, start),
      this.runtime.rowGrid(Math.ceil((batch * seqLen * hidden) / 64)),
    );
  }
}

function checkShape(name: string, x: RangeShape): void {
  const { batch, seqLen, hidden, start } = x;
  requireDims(name, { batch, seqLen, hidden });
  requireDims(name, { start }, 0);
  if (start > 0xffffffff) throw new RangeError(`${name}: start must fit in a u32, got ${start}`);
  if (batch * seqLen * hidden > 0xffffffff) throw new RangeError(`${name}: batch·seqLen·hidden must fit in a u32`);
  requireBytes(name, 'lengths', x.lengths, batch * 4);
}
