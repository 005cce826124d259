// Gradient of fused self-attention with a key-padding mask in double precision: the reference for
// shaders/training/attentionBackward*.wgsl. Forward: src/transformer/kernels/attentionReference.ts.
// For each (b, h), with L = min(len[b], S) and i, j < L:
//   s_ij = scale·q_i·k_j,  P_ij = softmax_j(s_ij)
//   dP_ij = dOut_i·v_j,  D_i = Σ_j P_ij·dP_ij,  dS_ij = scale·P_ij·(dP_ij − D_i)
//   dQ_i = Σ_j dS_ij·k_j,  dK_j = Σ_i dS_ij·q_i,  dV_j = Σ_i P_ij·dOut_i
// Rows i ≥ L are zero in dQ, dK and dV, and their dOut is ignored: this is the gradient of a loss over
// the real rows' outputs only. Inputs may be Float32Array or Float64Array (the finite-difference check
// runs it on doubles).

export interface AttentionBackwardReferenceInput {
  /** [batch·seqLen, 3·heads·headDim], column blocks [Q | K | V] */
  qkv: Float32Array | Float64Array;
  lengths: Uint32Array;
  /** [batch·seqLen, heads·headDim] */
  dOut: Float32Array | Float64Array;
  batch: number;
  seqLen: number;
  heads: number;
  headDim: number;
  scale: number;
}

/** dQkv, [batch·seqLen, 3·heads·headDim] in the layout of qkv. */
export function attentionBackwardReference(x: AttentionBackwardReferenceInput): Float64Array {
  const { qkv, lengths, dOut, batch, seqLen: S, heads: H, headDim: D, scale } = x;
  const stride = 3 * H * D;
  const dQkv = new Float64Array(batch * S * stride);
  const p = new Float64Array(S);
  const ds = new Float64Array(S);
  for (let b = 0; b < batch; b++) {
    const len = Math.min(lengths[b], S);
    for (let h = 0; h < H; h++) {
      const q = (i: number) => (b * S + i) * stride + h * D;
      const k = (j: number) => (b * S + j) * stride + H * D + h * D;
      const v = (j: number) => (b * S + j) * stride + 2 * H * D + h * D;
      for (let i = 0; i < len; i++) {
        const o = (b * S + i) * H * D + h * D;
        let max = -Infinity;
        for (let j = 0; j < len; j++) {
          let s = 0;
          for (let c = 0; c < D; c++) s += qkv[q(i) + c] * qkv[k(j) + c];
          p[j] = scale * s;
          max = Math.max(max, p[j]);
        }
        let sum = 0;
        for (let j = 0; j < len; j++) {
          p[j] = Math.exp(p[j] - max);
          sum += p[j];
        }
        let dRow = 0;
        for (let j = 0; j < len; j++) {
          p[j] /= sum;
          let dp = 0;
          for (let c = 0; c < D; c++) dp += dOut[o + c] * qkv[v(j) + c];
          ds[j] = dp;
          dRow += p[j] * dp;
        }
        for (let j = 0; j < len; j++) {
          ds[j] = scale * p[j] * (ds[j] - dRow);
          for (let c = 0; c < D; c++) {
            dQkv[q(i) + c] += ds[j] * qkv[k(j) + c];
            dQkv[k(j) + c] += ds[j] * qkv[q(i) + c];
            dQkv[v(j) + c] += p[j] * dOut[o + c];
          }
        }
      }
    }
  }
  return dQkv;
}
