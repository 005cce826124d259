// Binds and dispatches shaders/training/promptRows.wgsl (two entry points), a soft prompt placed after
// `start` leading rows of each example (BERT: [CLS] at row 0, then the N prompt rows):
//   prepareForward   x[b·seqLen + start + p, :] = prompt[p, :] + base[p, :]   for p < N, every b (in place)
//   prepareBackward  dPrompt[p, :] = Σ_b dX[b·seqLen + start + p, :]          (overwrites dPrompt)
// SoftPromptKernel is the start = 0 case with base = the position table; this one takes the rows to add as
// a table of their own (BERT: position[start + p] + tokenType[0], built once on the host).
// Reference: promptRowsReference.ts.

import { prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { requireBytes, requireDims, requireNoAlias } from '../../transformer/kernels/bindings';

interface PromptRowsShape {
  batch: number;
  seqLen: number;
  /** N ≥ 1, start + N ≤ seqLen */
  promptLength: number;
  d: number;
  /** First prompt row of each example (≥ 0). */
  start: number;
}

export interface PromptRowsForwardBindings extends PromptRowsShape {
  /** f32 [N, d]: the trained prompt P */
  prompt: Binding;
  /** f32 [N, d]: added to P at each prompt row */
  base: Binding;
  /** f32 [batch·seqLen, d], read and written: rows start..start+N−1 of every example are overwritten */
  x: Binding;
}

export interface PromptRowsBackwardBindings extends PromptRowsShape {
  /** f32 [batch·seqLen, d]: gradient with respect to x */
  dX: Binding;
  /** f32 [N, d], written (not accumulated) */
  dPrompt: Binding;
}

export class PromptRowsKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly forward: GPUComputePipeline,
    private readonly backward: GPUComputePipeline,
  ) {}

  static async create(runtime: GpuRuntime): Promise<PromptRowsKernel> {
    const [forward, backward] = await Promise.all([
      runtime.pipeline('training/promptRows.wgsl', 'forward'),
      runtime.pipeline('training/promptRows.wgsl', 'backward'),
    ]);
    return new PromptRowsKernel(runtime, forward, backward);
  }

  /** The uniform { batch, seqLen, promptLength, d, start } is appended as the last binding (3). */
  prepareForward(x: PromptRowsForwardBindings): PreparedDispatch {
    const name = 'promptRows.forward';
    checkShape(name, x);
    const { batch, seqLen, promptLength, d, start } = x;
    requireBytes(name, 'prompt', x.prompt, promptLength * d * 4);
    requireBytes(name, 'base', x.base, promptLength * d * 4);
    requireBytes(name, 'x', x.x, batch * seqLen * d * 4);
    requireNoAlias(name, x.x, { prompt: x.prompt, base: x.base });
    return prepareDispatch(
      this.runtime,
      `${name} ${batch}×(${start}+${promptLength})×${d}`,
      this.forward,
      [x.prompt, x.base, x.x],
      Uint32Array.of(batch, seqLen, promptLength, d, start, 0, 0, 0),
      this.runtime.rowGrid(batch * promptLength),
    );
  }

  /** The uniform { batch, seqLen, promptLength, d, start } is appended as the last binding (2). */
  prepareBackward(x: PromptRowsBackwardBindings): PreparedDispatch {
    const name = 'promptRows.backward';
    checkShape(name, x);
    const { batch, seqLen, promptLength, d, start } = x;
    requireBytes(name, 'dX', x.dX, batch * seqLen * d * 4);
    requireBytes(name, 'dPrompt', x.dPrompt, promptLength * d * 4);
    requireNoAlias(name, x.dPrompt, { dX: x.dX });
    return prepareDispatch(
      this.runtime,
      `${name} ${batch}×(${start}+${promptLength})×${d}`,
      this.backward,
      [x.dX, x.dPrompt],
      Uint32Array.of(batch, seqLen, promptLength, d, start, 0, 0, 0),
      this.runtime.rowGrid(Math.ceil((promptLength * d) / 64)),
    );
  }
}

function checkShape(name: string, s: PromptRowsShape): void {
  requireDims(name, { batch: s.batch, seqLen: s.seqLen, promptLength: s.promptLength, d: s.d });
  requireDims(name, { start: s.start }, 0);
  if (s.start + s.promptLength > s.seqLen) throw new RangeError(`${name}: start ${s.start} + promptLength ${s.promptLength} exceeds seqLen ${s.seqLen}`);
  if (s.batch * s.seqLen * s.d > 0xffffffff) throw new RangeError(`${name}: batch·seqLen·d must fit in a u32`);
}
