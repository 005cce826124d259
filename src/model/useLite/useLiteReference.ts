// Plain TypeScript forward pass of USE-Lite, one sentence at a time in double precision — the reference the
// WGSL encoder (useLiteEncoder.ts) is checked against, itself checked against the original graph's outputs
// (../shared/fixtures/use-lite-golden.json). Steps follow ../shared/docs/bundled-model.md §Architecture.

import type { UseLiteLayerWeights, UseLiteWeights } from './useLiteWeights';
import { useLiteTimingTable } from './useLiteWeights';

const LN_EPS = 1e-6;

function matmul(x: Float64Array, rows: number, k: number, w: Float32Array, n: number, bias: Float32Array): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const o = out.subarray(r * n, (r + 1) * n);
    o.set(bias);
    for (let i = 0; i < k; i++) {
      const a = x[r * k + i];
      if (a === 0) continue;
      const wr = i * n;
      for (let j = 0; j < n; j++) o[j] += a * w[wr + j];
    }
  }
  return out;
}

function layerNorm(x: Float64Array, rows: number, width: number, gamma: Float32Array, beta: Float32Array): Float64Array {
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let i = 0; i < width; i++) mean += x[r * width + i];
    mean /= width;
    let variance = 0;
    for (let i = 0; i < width; i++) variance += (x[r * width + i] - mean) ** 2;
    variance /= width;
    const inv = 1 / Math.sqrt(variance + LN_EPS);
    for (let i = 0; i < width; i++) out[r * width + i] = (x[r * width + i] - mean) * inv * gamma[i] + beta[i];
  }
  return out;
}

/** Self-attention over one sentence (no padding): qkv [n, 3·width] → [n, width]. */
function attention(qkv: Float64Array, n: number, width: number, heads: number, scale: number): Float64Array {
  const dh = width / heads;
  const out = new Float64Array(n * width);
  const scores = new Float64Array(n);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let c = 0; c < dh; c++) s += qkv[i * 3 * width + h * dh + c] * scale * qkv[j * 3 * width + width + h * dh + c];
        scores[j] = s;
        max = Math.max(max, s);
      }
      let total = 0;
      for (let j = 0; j < n; j++) total += (scores[j] = Math.exp(scores[j] - max));
      for (let c = 0; c < dh; c++) {
        let v = 0;
        for (let j = 0; j < n; j++) v += scores[j] * qkv[j * 3 * width + 2 * width + h * dh + c];
        out[i * width + h * dh + c] = v / total;
      }
    }
  }
  return out;
}

function transformerLayer(x: Float64Array, n: number, w: UseLiteLayerWeights): Float64Array {
  const h = layerNorm(x, n, w.inputWidth, w.attentionLn.gamma, w.attentionLn.beta);
  const qkv = matmul(h, n, w.inputWidth, w.qkvWeight, 3 * w.inputWidth, w.qkvBias);
  const o = attention(qkv, n, w.inputWidth, w.heads, w.queryScale);
  const attn = matmul(o, n, w.inputWidth, w.attentionOutWeight, w.hidden, w.attentionOutBias);
  const residual = w.residualProjection ? matmul(x, n, w.inputWidth, w.residualProjection.weight, w.hidden, w.residualProjection.bias) : x;
  const x1 = attn.map((v, i) => v + residual[i]);
  const f = layerNorm(x1, n, w.hidden, w.ffnLn.gamma, w.ffnLn.beta);
  const inner = matmul(f, n, w.hidden, w.ffnInWeight, w.ffnWidth, w.ffnInBias).map((v) => Math.max(v, 0));
  const ffn = matmul(inner, n, w.ffnWidth, w.ffnOutWeight, w.hidden, w.ffnOutBias);
  return x1.map((v, i) => v + ffn[i]);
}

/** The 512-d sentence vector for token ids (positions ≥ 128 are dropped, as the graph does). */
export function useLiteReferenceEncode(w: UseLiteWeights, ids: readonly number[], timing = useLiteTimingTable(w)): Float64Array {
  const n = Math.min(ids.length, w.maxPositions);
  const d = w.embeddingDim;
  let x: Float64Array = new Float64Array(n * d);
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < d; i++) x[p * d + i] = 2 * w.embeddings[ids[p] * d + i] + timing[p * d + i];
  }
  for (const layer of w.layers) x = transformerLayer(x, n, layer);
  const hidden = w.layers[1].hidden;
  const pooled = new Float64Array(hidden);
  for (let p = 0; p < n; p++) for (let i = 0; i < hidden; i++) pooled[i] += x[p * hidden + i] / n;
  const t = matmul(pooled, 1, hidden, w.outputWeight, hidden, w.outputBias).map(Math.tanh);
  const norm = Math.sqrt(Math.max(t.reduce((s, v) => s + v * v, 0), 1e-12));
  return t.map((v) => v / norm);
}
