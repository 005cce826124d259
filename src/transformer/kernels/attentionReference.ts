// Fused self-attention with a key-padding mask in double precision: the reference for
// shaders/transformer/attention.wgsl and attentionPortable.wgsl.
//   out[b·S + i, h·D + c] = Σ_{j < len[b]} softmax_j(scale·q_i·k_j) · v_j[c]   (zeros when len[b] = 0)

export interface AttentionReferenceInput {
  qkv: Float32Array;
  lengths: Uint32Array;
  batch: number;
  seqLen: number;
  heads: number;
  headDim: number;
  scale: number;
}

export function attentionReference(x: AttentionReferenceInput): Float64Array {
  const { qkv, lengths, batch, seqLen: S, heads: H, headDim: D, scale } = x;
  const stride = 3 * H * D;
  const out = new Float64Array(batch * S * H * D);
  const scores = new Float64Array(S);
  for (let b = 0; b < batch; b++) {
    const len = Math.min(lengths[b], S);
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < S; i++) {
        const q = (b * S + i) * stride + h * D;
        let max = -Infinity;
        for (let j = 0; j < len; j++) {
          const k = (b * S + j) * stride + H * D + h * D;
          let s = 0;
          for (let c = 0; c < D; c++) s += qkv[q + c] * qkv[k + c];
          scores[j] = scale * s;
          max = Math.max(max, scores[j]);
        }
        let sum = 0;
        for (let j = 0; j < len; j++) {
          scores[j] = Math.exp(scores[j] - max);
          sum += scores[j];
        }
        for (let c = 0; c < D; c++) {
          let acc = 0;
          for (let j = 0; j < len; j++) acc += scores[j] * qkv[(b * S + j) * stride + 2 * H * D + h * D + c];
          out[(b * S + i) * H * D + h * D + c] = len > 0 ? acc / sum : 0;
        }
      }
    }
  }
  return out;
}
