// Double-precision forward (with every activation the backward needs) and analytic backward of one frozen
// USE-Lite transformer layer on one unpadded sequence. Same steps as src/model/useLite/useLiteReference.ts
// (pre-LN, biased variance, eps 1e-6; layer 0 adds the projection of its un-normalised input as the
// residual; ReLU FFN). The encoder is frozen, so the backward yields the input gradient only.
//
// Matrices are row-major [in, out] (x·W), as UseLiteWeights stores them; weights may be f32 or f64, all
// arithmetic is f64.

import type { UseLiteLayerWeights } from '../../model/useLite/useLiteWeights';

export type Matrix = Float32Array | Float64Array;

export const LAYER_NORM_EPS = 1e-6;

// The matmuls work on blocks of four rows so that each weight row is read once per block (the weights of
// the real encoder do not fit in cache); the sums per output entry keep the plain left-to-right order.

/** out[rows, n] = x[rows, k]·w[k, n] (+ bias). */
export function matmul(x: ArrayLike<number>, rows: number, k: number, w: Matrix, n: number, bias: Matrix | null = null): Float64Array {
  const out = new Float64Array(rows * n);
  if (bias) for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) out[r * n + j] = bias[j];
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const o0 = r * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    for (let i = 0; i < k; i++) {
      const a0 = x[r * k + i];
      const a1 = x[(r + 1) * k + i];
      const a2 = x[(r + 2) * k + i];
      const a3 = x[(r + 3) * k + i];
      const wr = i * n;
      for (let j = 0; j < n; j++) {
        const wv = w[wr + j];
        out[o0 + j] += a0 * wv;
        out[o1 + j] += a1 * wv;
        out[o2 + j] += a2 * wv;
        out[o3 + j] += a3 * wv;
      }
    }
  }
  for (; r < rows; r++) {
    const o = r * n;
    for (let i = 0; i < k; i++) {
      const a = x[r * k + i];
      const wr = i * n;
      for (let j = 0; j < n; j++) out[o + j] += a * w[wr + j];
    }
  }
  return out;
}

/** dx[rows, k] = dy[rows, n]·wᵀ with w stored [k, n]. */
export function matmulTransposeB(dy: ArrayLike<number>, rows: number, n: number, w: Matrix, k: number): Float64Array {
  const out = new Float64Array(rows * k);
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const d0 = r * n;
    const d1 = d0 + n;
    const d2 = d1 + n;
    const d3 = d2 + n;
    for (let i = 0; i < k; i++) {
      const wr = i * n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < n; j++) {
        const wv = w[wr + j];
        s0 += dy[d0 + j] * wv;
        s1 += dy[d1 + j] * wv;
        s2 += dy[d2 + j] * wv;
        s3 += dy[d3 + j] * wv;
      }
      out[r * k + i] = s0;
      out[(r + 1) * k + i] = s1;
      out[(r + 2) * k + i] = s2;
      out[(r + 3) * k + i] = s3;
    }
  }
  for (; r < rows; r++) {
    const d = r * n;
    for (let i = 0; i < k; i++) {
      const wr = i * n;
      let s = 0;
      for (let j = 0; j < n; j++) s += dy[d + j] * w[wr + j];
      out[r * k + i] = s;
    }
  }
  return out;
}

/** dw[k, n] += xᵀ·dy for x [rows, k], dy [rows, n]. */
export function addOuterProducts(dw: Float64Array, x: ArrayLike<number>, rows: number, k: number, dy: ArrayLike<number>, n: number): void {
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < k; i++) {
      const a = x[r * k + i];
      if (a === 0) continue;
      const o = i * n;
      for (let j = 0; j < n; j++) dw[o + j] += a * dy[r * n + j];
    }
  }
}

export interface LayerNormCache {
  /** (x − mean)·rstd, [rows, width]. */
  xhat: Float64Array;
  /** 1/sqrt(var + eps) per row. */
  rstd: Float64Array;
}

/** LayerNorm over rows (biased variance, two passes); eps defaults to USE-Lite's, BERT passes its config's. */
export function layerNormForward(x: Float64Array, rows: number, width: number, gamma: Matrix, beta: Matrix, eps = LAYER_NORM_EPS): { y: Float64Array; cache: LayerNormCache } {
  const y = new Float64Array(rows * width);
  const xhat = new Float64Array(rows * width);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let mean = 0;
    for (let i = 0; i < width; i++) mean += x[o + i];
    mean /= width;
    let variance = 0;
    for (let i = 0; i < width; i++) variance += (x[o + i] - mean) ** 2;
    variance /= width;
    const inv = 1 / Math.sqrt(variance + eps);
    rstd[r] = inv;
    for (let i = 0; i < width; i++) {
      const h = (x[o + i] - mean) * inv;
      xhat[o + i] = h;
      y[o + i] = h * gamma[i] + beta[i];
    }
  }
  return { y, cache: { xhat, rstd } };
}

/** dx = LN'(x)ᵀ·dy with gamma, beta frozen: rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), ĝ = dy·γ. */
export function layerNormBackward(dy: Float64Array, cache: LayerNormCache, rows: number, width: number, gamma: Matrix): Float64Array {
  const dx = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let m1 = 0;
    let m2 = 0;
    for (let i = 0; i < width; i++) {
      const g = dy[o + i] * gamma[i];
      m1 += g;
      m2 += g * cache.xhat[o + i];
    }
    m1 /= width;
    m2 /= width;
    const s = cache.rstd[r];
    for (let i = 0; i < width; i++) dx[o + i] = s * (dy[o + i] * gamma[i] - m1 - cache.xhat[o + i] * m2);
  }
  return dx;
}

/**
 * Multi-head self-attention over one unpadded sequence: qkv [n, 3·width] (column blocks Q | K | V) →
 * o [n, width]; scores = (q·scale)·k. Also returns the probabilities [heads, n, n].
 */
export function attentionForward(qkv: Float64Array, n: number, width: number, heads: number, scale: number): { o: Float64Array; probs: Float64Array } {
  const dh = width / heads;
  const stride = 3 * width;
  const o = new Float64Array(n * width);
  const probs = new Float64Array(heads * n * n);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < n; i++) {
      const p = probs.subarray((h * n + i) * n, (h * n + i + 1) * n);
      let max = -Infinity;
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let c = 0; c < dh; c++) s += qkv[i * stride + h * dh + c] * scale * qkv[j * stride + width + h * dh + c];
        p[j] = s;
        if (s > max) max = s;
      }
      let total = 0;
      for (let j = 0; j < n; j++) total += (p[j] = Math.exp(p[j] - max));
      for (let j = 0; j < n; j++) p[j] /= total;
      for (let c = 0; c < dh; c++) {
        let v = 0;
        for (let j = 0; j < n; j++) v += p[j] * qkv[j * stride + 2 * width + h * dh + c];
        o[i * width + h * dh + c] = v;
      }
    }
  }
  return { o, probs };
}

/** dqkv [n, 3·width] from the forward's qkv and probabilities and dO [n, width]. */
export function attentionBackward(qkv: Float64Array, probs: Float64Array, dO: Float64Array, n: number, width: number, heads: number, scale: number): Float64Array {
  const dh = width / heads;
  const stride = 3 * width;
  const dqkv = new Float64Array(n * stride);
  const dp = new Float64Array(n);
  for (let h = 0; h < heads; h++) {
    const q0 = h * dh;
    const k0 = width + h * dh;
    const v0 = 2 * width + h * dh;
    for (let i = 0; i < n; i++) {
      const p = probs.subarray((h * n + i) * n, (h * n + i + 1) * n);
      // dP_ij = dO_i·v_j; dV_j += P_ij·dO_i.
      let dot = 0;
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let c = 0; c < dh; c++) {
          const g = dO[i * width + q0 + c];
          s += g * qkv[j * stride + v0 + c];
          dqkv[j * stride + v0 + c] += p[j] * g;
        }
        dp[j] = s;
        dot += p[j] * s;
      }
      // dS_ij = P_ij (dP_ij − Σ_k P_ik dP_ik); S_ij = scale·q_i·k_j.
      for (let j = 0; j < n; j++) {
        const ds = p[j] * (dp[j] - dot) * scale;
        if (ds === 0) continue;
        for (let c = 0; c < dh; c++) {
          dqkv[i * stride + q0 + c] += ds * qkv[j * stride + k0 + c];
          dqkv[j * stride + k0 + c] += ds * qkv[i * stride + q0 + c];
        }
      }
    }
  }
  return dqkv;
}

export interface UseLiteLayerCache {
  n: number;
  /** Layer input [n, inputWidth]. */
  x: Float64Array;
  ln1: LayerNormCache;
  qkv: Float64Array;
  probs: Float64Array;
  /** Attention output before the output projection [n, inputWidth]. */
  o: Float64Array;
  /** After attention + residual [n, hidden]. */
  x1: Float64Array;
  ln2: LayerNormCache;
  /** FFN hidden activations after the ReLU [n, ffnWidth]. */
  inner: Float64Array;
  /** Layer output [n, hidden]. */
  out: Float64Array;
}

/** `queryScale` defaults to the weights' (the graph's f32 constant). */
export function useLiteLayerForward(x: Float64Array, n: number, w: UseLiteLayerWeights, queryScale = w.queryScale): UseLiteLayerCache {
  const din = w.inputWidth;
  const { y: h, cache: ln1 } = layerNormForward(x, n, din, w.attentionLn.gamma, w.attentionLn.beta);
  const qkv = matmul(h, n, din, w.qkvWeight, 3 * din, w.qkvBias);
  const { o, probs } = attentionForward(qkv, n, din, w.heads, queryScale);
  const x1 = matmul(o, n, din, w.attentionOutWeight, w.hidden, w.attentionOutBias);
  if (w.residualProjection) {
    const r = matmul(x, n, din, w.residualProjection.weight, w.hidden, w.residualProjection.bias);
    for (let i = 0; i < x1.length; i++) x1[i] += r[i];
  } else {
    for (let i = 0; i < x1.length; i++) x1[i] += x[i];
  }
  const { y: f, cache: ln2 } = layerNormForward(x1, n, w.hidden, w.ffnLn.gamma, w.ffnLn.beta);
  const inner = matmul(f, n, w.hidden, w.ffnInWeight, w.ffnWidth, w.ffnInBias);
  for (let i = 0; i < inner.length; i++) if (inner[i] < 0) inner[i] = 0;
  const out = matmul(inner, n, w.ffnWidth, w.ffnOutWeight, w.hidden, w.ffnOutBias);
  for (let i = 0; i < out.length; i++) out[i] += x1[i];
  return { n, x, ln1, qkv, probs, o, x1, ln2, inner, out };
}

/** dL/dx [n, inputWidth] from dL/dout [n, hidden] (frozen weights: no weight gradients). */
export function useLiteLayerBackward(c: UseLiteLayerCache, dOut: Float64Array, w: UseLiteLayerWeights, queryScale = w.queryScale): Float64Array {
  const { n } = c;
  const din = w.inputWidth;
  // FFN: out = x1 + relu(LN(x1)·W1 + b1)·W2 + b2.
  const dInner = matmulTransposeB(dOut, n, w.hidden, w.ffnOutWeight, w.ffnWidth);
  for (let i = 0; i < dInner.length; i++) if (!(c.inner[i] > 0)) dInner[i] = 0;
  const dF = matmulTransposeB(dInner, n, w.ffnWidth, w.ffnInWeight, w.hidden);
  const dX1 = layerNormBackward(dF, c.ln2, n, w.hidden, w.ffnLn.gamma);
  for (let i = 0; i < dX1.length; i++) dX1[i] += dOut[i];
  // Attention: x1 = attn(LN(x))·Wo + bo + residual(x).
  const dO = matmulTransposeB(dX1, n, w.hidden, w.attentionOutWeight, din);
  const dQkv = attentionBackward(c.qkv, c.probs, dO, n, din, w.heads, queryScale);
  const dH = matmulTransposeB(dQkv, n, 3 * din, w.qkvWeight, din);
  const dX = layerNormBackward(dH, c.ln1, n, din, w.attentionLn.gamma);
  if (w.residualProjection) {
    const dr = matmulTransposeB(dX1, n, w.hidden, w.residualProjection.weight, din);
    for (let i = 0; i < dX.length; i++) dX[i] += dr[i];
  } else {
    for (let i = 0; i < dX.length; i++) dX[i] += dX1[i];
  }
  return dX;
}
