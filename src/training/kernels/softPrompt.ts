// Binds and dispatches shaders/training/softPrompt.wgsl (two entry points):
//   prepareForward   x[b·seqLen + p, :] = prompt[p, :] + positions[p, :]   for p < N, every b (in place)
//   prepareBackward  dPrompt[p, :] = Σ_b dX[b·seqLen + p, :]               (overwrites dPrompt)
// The forward runs after EmbeddingKernel has written 2·E[id] + t(p) into every row of x; it replaces the
// first N rows of each example and leaves the others untouched. N ≥ 1: the no-prompt case (linear probe)
// simply does not dispatch this kernel. Reference: softPromptReference.ts.

import { prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { requireBytes, requireDims, requireNoAlias } from '../../transformer/kernels/bindings';

export interface SoftPromptForwardBindings {
  /** f32 [N, d]: the trained prompt P */
  prompt: Binding;
  /** f32 [maxPos ≥ N, d]: the position (timing) table the embedding used */
  positions: Binding;
  /** f32 [batch·seqLen, d], read and written: rows p < N of every example are overwritten */
  x: Binding;
  batch: number;
  seqLen: number;
  /** N, 1 ≤ N ≤ seqLen */
  promptLength: number;
  d: number;
}

export interface SoftPromptBackwardBindings {
  /** f32 [batch·seqLen, d]: gradient of the loss with respect to x0 */
  dX: Binding;
  /** f32 [N, d], written (not accumulated) */
  dPrompt: Binding;
  batch: number;
  seqLen: number;
  /** N, 1 ≤ N ≤ seqLen */
  promptLength: number;
  d: number;
}

export class SoftPromptKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly forward: GPUComputePipeline,
    private readonly backward: GPUComputePipeline,
  ) {}

  static async create(runtime: GpuRuntime): Promise<SoftPromptKernel> {
    const [forward, backward] = await Promise.all([
      runtime.pipeline('training/softPrompt.wgsl', 'forward'),
      runtime.pipeline('training/softPrompt.wgsl', 'backward'),
    ]);
    return new SoftPromptKernel(runtime, forward, backward);
  }

  /** The uniform { batch, seqLen, promptLength, d } is appended as the last binding (3). */
  prepareForward(x: SoftPromptForwardBindings): PreparedDispatch {
    const { batch, seqLen, promptLength, d } = x;
    const name = 'softPrompt.forward';
    checkShape(name, batch, seqLen, promptLength, d);
    requireBytes(name, 'prompt', x.prompt, promptLength * d * 4);
    requireBytes(name, 'positions', x.positions, promptLength * d * 4);
    requireBytes(name, 'x', x.x, batch * seqLen * d * 4);
    requireNoAlias(name, x.x, { prompt: x.prompt, positions: x.positions });
    return prepareDispatch(
      this.runtime,
      `${name} ${batch}×${promptLength}×${d}`,
      this.forward,
      [x.prompt, x.positions, x.x],
      Uint32Array.of(batch, seqLen, promptLength, d),
      this.runtime.rowGrid(batch * promptLength),
    );
  }

  /** The uniform { batch, seqLen, promptLength, d } is appended as the last binding (2). */
  prepareBackward(x: SoftPromptBackwardBindings): PreparedDispatch {
    const { batch, seqLen, promptLength, d } = x;
    const name = 'softPrompt.backward';
    checkShape(name, batch, seqLen, promptLength, d);
    requireBytes(name, 'dX', x.dX, batch * seqLen * d * 4);
    requireBytes(name, 'dPrompt', x.dPrompt, promptLength * d * 4);
    requireNoAlias(name, x.dPrompt, { dX: x.dX });
    return prepareDispatch(
      this.runtime,
      `${name} ${batch}×${promptLength}×${d}`,
      this.backward,
      [x.dX, x.dPrompt],
      Uint32Array.of(batch, seqLen, promptLength, d),
      this.runtime.rowGrid(Math.ceil((promptLength * d) / 64)),
    );
  }
}

function checkShape(name: string, batch: number, seqLen: number, promptLength: number, d: number): void {
  requireDims(name, { batch, seqLen, promptLength, d });
  if (promptLength > seqLen) throw new RangeError(`${name}: promptLength ${promptLength} exceeds seqLen ${seqLen}`);
}
