// Binds and dispatches the fused self-attention kernels:
//   out[b·S + i, h·D + c] = Σ_{j < len[b]} softmax_j(scale·q_i·k_j) · v_j[c]
//   shaders/transformer/attention.wgsl          a quad per 8 query rows, head dims split across its lanes
//                                               (needs 'subgroups'; D a multiple of 16, D ≤ 128)
//   shaders/transformer/attentionPortable.wgsl  a workgroup per query row (any D; S ≤ 512)
// Reference: attentionReference.ts.

import { packParams, prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { requireBytes, requireDims, requireNoAlias } from './bindings';
import { pipelineOnFirstUse } from './pipelines';

export interface AttentionOptions {
  /** Use the quad kernel where the head size allows; defaults to whether the device has 'subgroups'. */
  subgroups?: boolean;
}

export interface AttentionBindings {
  /** f32 [batch·seqLen, 3·heads·headDim]: column blocks [Q | K | V], head h at columns h·headDim.. */
  qkv: Binding;
  /** u32 [batch]: real tokens per sequence (keys j ≥ len are masked; len > seqLen counts as seqLen) */
  lengths: Binding;
  /** f32 [batch·seqLen, heads·headDim] */
  out: Binding;
  batch: number;
  seqLen: number;
  heads: number;
  headDim: number;
  /** Usually 1/√headDim. */
  scale: number;
}

/** Query rows per workgroup of the quad kernel: 16 quads × 8 rows. */
const QUAD_ROWS = 128;
/** Keys the portable kernel keeps in workgroup memory (attentionPortable.wgsl MAX_KEYS). */
const PORTABLE_MAX_KEYS = 512;
export class AttentionKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly useSubgroups: boolean,
    /** The quad pipeline for headDim 64, compiled in create(). */
    private readonly quad64: GPUComputePipeline | null,
  ) {}

  /**
   * The quad kernel is specialised per head size (SLICE = headDim / 16), which prepare() learns, so
   * pipelines are compiled on first use there (pipelines.ts); the headDim 64 one is compiled here.
   */
  static async create(runtime: GpuRuntime, options: AttentionOptions = {}): Promise<AttentionKernel> {
    const has = runtime.device.features.has('subgroups' as GPUFeatureName);
    const useSubgroups = options.subgroups ?? has;
    if (useSubgroups && !has) throw new RangeError("attention: subgroups requested but the device lacks the 'subgroups' feature");
    const quad64 = useSubgroups ? await runtime.pipeline('transformer/attention.wgsl', 'main', { SLICE: 4 }) : null;
    return new AttentionKernel(runtime, useSubgroups, quad64);
  }

  /** Whether prepare() uses the quad kernel for this head size. */
  usesQuadKernel(headDim: number): boolean {
    return this.useSubgroups && headDim % 16 === 0 && headDim <= 128;
  }

  /** The uniform { batch, seqLen, heads, headDim, scale } is appended as the last binding (3). */
  prepare(x: AttentionBindings): PreparedDispatch {
    const { batch, seqLen, heads, headDim, scale } = x;
    const name = 'attention';
    requireDims(name, { batch, seqLen, heads, headDim });
    if (!Number.isFinite(scale)) throw new RangeError(`attention: scale must be finite, got ${scale}`);
    requireBytes(name, 'qkv', x.qkv, batch * seqLen * 3 * heads * headDim * 4);
    requireBytes(name, 'lengths', x.lengths, batch * 4);
    requireBytes(name, 'out', x.out, batch * seqLen * heads * headDim * 4);
    requireNoAlias(name, x.out, { qkv: x.qkv, lengths: x.lengths });
    const params = packParams([{ u32: batch }, { u32: seqLen }, { u32: heads }, { u32: headDim }, { f32: scale }]);
    const label = `attention ${batch}×${seqLen}×${heads}×${headDim}`;
    const bindings = [x.qkv, x.lengths, x.out];
    if (this.usesQuadKernel(headDim)) {
      const pipeline = headDim === 64 && this.quad64 ? this.quad64 : pipelineOnFirstUse(this.runtime, 'transformer/attention.wgsl', 'main', { SLICE: headDim / 16 });
      return prepareDispatch(this.runtime, label, pipeline, bindings, params, [Math.ceil(seqLen / QUAD_ROWS), heads, batch]);
    }
    if (seqLen > PORTABLE_MAX_KEYS) {
      throw new RangeError(
        `attention: seqLen ${seqLen} > ${PORTABLE_MAX_KEYS} needs the quad kernel (the 'subgroups' feature and headDim a multiple of 16 up to 128; got ${headDim})`,
      );
    }
    return prepareDispatch(this.runtime, label, pipelineOnFirstUse(this.runtime, 'transformer/attentionPortable.wgsl'), bindings, params, [seqLen, heads, batch]);
  }
}
