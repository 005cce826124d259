// Binds and dispatches the backward pass of fused self-attention (src/transformer/kernels/attention.ts):
// from qkv, lengths and dOut, the gradient dQkv with the same packed layout [Q | K | V]:
//   dP_ij = dOut_i·v_j,  dS_ij = scale·P_ij·(dP_ij − Σ_j' P_ij'·dP_ij')
//   dQ_i = Σ_j dS_ij·k_j,  dK_j = Σ_i dS_ij·q_i,  dV_j = Σ_i P_ij·dOut_i      (i, j < min(len[b], seqLen))
// with the probabilities P recomputed. Padded rows (i ≥ len[b]) get exact zeros and their dOut is ignored.
//   shaders/training/attentionBackward.wgsl           headDim % 4 == 0 (vec4 loads)
//   shaders/training/attentionBackwardUnaligned.wgsl  any headDim
// Three dispatches, in order: `scores` (4×4 blocks of s and dP into the scratch bindings), `softmax` (P
// and dS per row, over them) and `gradients` (dQ, dK, dV per 4 rows × 4 dimensions): no float atomics,
// every sum has one owner. Algorithm: shaders/training/attentionBackwardCore.wgsl.
// Reference: attentionBackwardReference.ts.

import { packParams, prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { requireBytes, requireDims, requireNoAlias } from '../../transformer/kernels/bindings';
import { pipelineOnFirstUse } from '../../transformer/kernels/pipelines';

export interface AttentionBackwardBindings {
  /** f32 [batch·seqLen, 3·heads·headDim]: the forward input, column blocks [Q | K | V] */
  qkv: Binding;
  /** u32 [batch]: real tokens per sequence (len > seqLen counts as seqLen) */
  lengths: Binding;
  /** f32 [batch·seqLen, heads·headDim]: gradient of the attention output (padded rows ignored) */
  dOut: Binding;
  /** Scratch, f32 [batch, heads, seqLen, 4·ceil(seqLen/4)]: the probabilities (scratchBytes) */
  probs: Binding;
  /** Scratch, same shape: the score gradients dS */
  dScores: Binding;
  /** f32 [batch·seqLen, 3·heads·headDim], written; must not alias any other binding */
  dQkv: Binding;
  batch: number;
  seqLen: number;
  heads: number;
  headDim: number;
  /** The forward pass's query scale, usually 1/√headDim. */
  scale: number;
}

/** Invocations per workgroup of every entry point. */
const GROUP = 64;

/** The entry points, in dispatch order. */
const ENTRIES = ['scores', 'softmax', 'gradients'] as const;
type Entry = (typeof ENTRIES)[number];

export class AttentionBackwardKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    /** The vec4 pipelines, by entry point. */
    private readonly vec4: Readonly<Record<Entry, GPUComputePipeline>>,
  ) {}

  /** Compiles the vec4 pipelines (every real head size); the unaligned ones are compiled on first use. */
  static async create(runtime: GpuRuntime): Promise<AttentionBackwardKernel> {
    const [scores, softmax, gradients] = await Promise.all(ENTRIES.map((entry) => runtime.pipeline('training/attentionBackward.wgsl', entry)));
    return new AttentionBackwardKernel(runtime, { scores, softmax, gradients });
  }

  /** Bytes of each scratch binding (probs, dScores): a row of seqLen keys padded to a multiple of 4. */
  static scratchBytes(batch: number, heads: number, seqLen: number): number {
    return batch * heads * seqLen * Math.ceil(seqLen / 4) * 16;
  }

  /** Whether prepare() uses the vec4 kernel for this head size. */
  static isAligned(headDim: number): boolean {
    return headDim % 4 === 0;
  }

  /**
   * The three dispatches of one attention backward, to be encoded in this order (one compute pass orders
   * their storage accesses). Each owns its uniform { batch, seqLen, heads, headDim, scale, keyQuads,
   * headQuads }, appended as the last binding (6); destroy them with destroyDispatches.
   */
  prepare(x: AttentionBackwardBindings): PreparedDispatch[] {
    const { batch, seqLen, heads, headDim, scale } = x;
    const name = 'attentionBackward';
    requireDims(name, { batch, seqLen, heads, headDim });
    if (!Number.isFinite(scale)) throw new RangeError(`${name}: scale must be finite, got ${scale}`);
    const rows = batch * seqLen;
    requireBytes(name, 'qkv', x.qkv, rows * 3 * heads * headDim * 4);
    requireBytes(name, 'lengths', x.lengths, batch * 4);
    requireBytes(name, 'dOut', x.dOut, rows * heads * headDim * 4);
    const scratch = AttentionBackwardKernel.scratchBytes(batch, heads, seqLen);
    requireBytes(name, 'probs', x.probs, scratch);
    requireBytes(name, 'dScores', x.dScores, scratch);
    requireBytes(name, 'dQkv', x.dQkv, rows * 3 * heads * headDim * 4);
    requireNoAlias(name, x.dQkv, { qkv: x.qkv, lengths: x.lengths, dOut: x.dOut, probs: x.probs, dScores: x.dScores });
    requireNoAlias(name, x.probs, { qkv: x.qkv, lengths: x.lengths, dOut: x.dOut, dScores: x.dScores });
    requireNoAlias(name, x.dScores, { qkv: x.qkv, lengths: x.lengths, dOut: x.dOut });
    const keyQuads = Math.ceil(seqLen / 4);
    const headQuads = Math.ceil(headDim / 4);
    const params = packParams([
      { u32: batch },
      { u32: seqLen },
      { u32: heads },
      { u32: headDim },
      { f32: scale },
      { u32: keyQuads },
      { u32: headQuads },
      { u32: 0 },
    ]);
    const aligned = AttentionBackwardKernel.isAligned(headDim);
    const bindings = [x.qkv, x.lengths, x.dOut, x.probs, x.dScores, x.dQkv];
    const label = `${name} ${batch}×${seqLen}×${heads}×${headDim}`;
    const invocations: Record<Entry, number> = {
      scores: batch * heads * keyQuads * keyQuads,
      softmax: batch * heads * seqLen,
      gradients: batch * heads * keyQuads * headQuads,
    };
    return ENTRIES.map((entry) =>
      prepareDispatch(
        this.runtime,
        `${label} ${entry}`,
        aligned ? this.vec4[entry] : pipelineOnFirstUse(this.runtime, 'training/attentionBackwardUnaligned.wgsl', entry),
        bindings,
        params,
        this.runtime.rowGrid(Math.ceil(invocations[entry] / GROUP)),
      ),
    );
  }
}
