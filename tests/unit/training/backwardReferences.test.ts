// The f64 references of the backward kernels (layer norm, attention, matmul with A transposed) against
// central finite differences of their forwards in double precision, for a loss L = ⟨w, forward(·)⟩ with a
// random w. Step 1e-6: the truncation error (~h²·f‴ ≈ 1e-11) and the rounding error (~1e-16·|L|/h ≈ 1e-9)
// both stay far below the 1e-6 relative tolerance, while a wrong term in a gradient is an O(1) error.
// The project's forward references take Float32Array inputs; the f64 forwards here are checked against
// them first, so the differences are of the real forward specification.

import { describe, expect, it } from 'vitest';
import { PhiloxStream } from '../../../src/privacy/random/philox';
import { attentionBackwardReference } from '../../../src/training/kernels/attentionBackwardReference';
import { layerNormBackwardReference } from '../../../src/training/kernels/layerNormBackwardReference';
import { attentionReference } from '../../../src/transformer/kernels/attentionReference';
import { layerNormReference } from '../../../src/transformer/kernels/layerNormReference';
import { matmulReference } from '../../../src/transformer/kernels/matmulReference';

const STEP = 1e-6;

function random(seed: number, length: number, lo = -1, hi = 1): Float64Array {
  const stream = new PhiloxStream(seed, 0);
  return Float64Array.from({ length }, () => lo + (hi - lo) * stream.nextFloat());
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** ∂loss/∂x by central differences, one coordinate at a time (x is restored). */
function centralDifferences(x: Float64Array, loss: () => number): Float64Array {
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    x[i] = xi + STEP;
    const up = loss();
    x[i] = xi - STEP;
    const down = loss();
    x[i] = xi;
    grad[i] = (up - down) / (2 * STEP);
  }
  return grad;
}

/** max |got − want| / max |want|. */
function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return err / scale;
}

/** Layer norm in f64, the formula of layerNormReference (biased variance). */
function layerNorm64(x: Float64Array, gamma: Float64Array, beta: Float64Array, rows: number, cols: number, eps: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < cols; c++) mean += x[r * cols + c];
    mean /= cols;
    let variance = 0;
    for (let c = 0; c < cols; c++) variance += (x[r * cols + c] - mean) ** 2;
    variance /= cols;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let c = 0; c < cols; c++) out[r * cols + c] = (x[r * cols + c] - mean) * inv * gamma[c] + beta[c];
  }
  return out;
}

interface AttentionShape {
  batch: number;
  seqLen: number;
  heads: number;
  headDim: number;
  scale: number;
  lengths: Uint32Array;
}

/** Attention in f64, the formula of attentionReference (max-subtracted softmax over keys j < len). */
function attention64(qkv: Float64Array, s: AttentionShape): Float64Array {
  const { batch, seqLen: S, heads: H, headDim: D, scale, lengths } = s;
  const stride = 3 * H * D;
  const out = new Float64Array(batch * S * H * D);
  const p = new Float64Array(S);
  for (let b = 0; b < batch; b++) {
    const len = Math.min(lengths[b], S);
    for (let h = 0; h < H; h++)
      for (let i = 0; i < S; i++) {
        let max = -Infinity;
        for (let j = 0; j < len; j++) {
          let d = 0;
          for (let c = 0; c < D; c++) d += qkv[(b * S + i) * stride + h * D + c] * qkv[(b * S + j) * stride + (H + h) * D + c];
          p[j] = scale * d;
          max = Math.max(max, p[j]);
        }
        let sum = 0;
        for (let j = 0; j < len; j++) sum += p[j] = Math.exp(p[j] - max);
        for (let c = 0; c < D; c++) {
          let acc = 0;
          for (let j = 0; j < len; j++) acc += p[j] * qkv[(b * S + j) * stride + (2 * H + h) * D + c];
          out[(b * S + i) * H * D + h * D + c] = len > 0 ? acc / sum : 0;
        }
      }
  }
  return out;
}

describe('layerNormBackwardReference', () => {
  it('the f64 forward used here is layerNormReference', () => {
    const [rows, cols] = [3, 7];
    const x = Float32Array.from(random(1, rows * cols));
    const gamma = Float32Array.from(random(2, cols));
    const beta = Float32Array.from(random(3, cols));
    const want = layerNormReference(x, gamma, beta, rows, cols, 1e-5);
    const got = layerNorm64(Float64Array.from(x), Float64Array.from(gamma), Float64Array.from(beta), rows, cols, 1e-5);
    expect(relativeError(got, want)).toBeLessThan(1e-15);
  });

  // One column (gradient 0), tiny eps, a row far from zero, the residual gradient added.
  for (const [rows, cols, eps, offset, residual] of [
    [3, 7, 1e-5, 0, false],
    [2, 16, 1e-12, 0, true],
    [4, 5, 0.1, 0, false],
    [2, 9, 1e-5, 30, true],
    [2, 1, 1e-5, 0, false],
  ] as const) {
    it(`matches central differences: ${rows}×${cols}, eps ${eps}, offset ${offset}${residual ? ', + dRes' : ''}`, () => {
      const seed = rows * 100 + cols;
      const x = random(seed, rows * cols, offset - 1, offset + 1);
      const gamma = random(seed + 1, cols, 0.5, 1.5);
      const beta = random(seed + 2, cols);
      const dOut = random(seed + 3, rows * cols);
      const dRes = residual ? random(seed + 4, rows * cols) : undefined;
      // The residual branch passes x through unchanged: L = ⟨dOut, LN(x)⟩ + ⟨dRes, x⟩.
      const loss = () => dot(dOut, layerNorm64(x, gamma, beta, rows, cols, eps)) + (dRes ? dot(dRes, x) : 0);
      const numeric = centralDifferences(x, loss);
      const analytic = layerNormBackwardReference(x, gamma, dOut, rows, cols, eps, dRes);
      if (cols === 1) {
        expect([...analytic]).toEqual(new Array(rows).fill(0));
        expect(Math.max(...numeric.map(Math.abs))).toBeLessThan(1e-9);
      } else {
        expect(relativeError(analytic, numeric)).toBeLessThan(1e-6);
      }
    });
  }
});

describe('attentionBackwardReference', () => {
  it('the f64 forward used here is attentionReference', () => {
    const s: AttentionShape = { batch: 2, seqLen: 5, heads: 2, headDim: 3, scale: 0.6, lengths: Uint32Array.of(5, 2) };
    const qkv = Float32Array.from(random(7, 2 * 5 * 3 * 2 * 3));
    const want = attentionReference({ ...s, qkv });
    expect(relativeError(attention64(Float64Array.from(qkv), s), want)).toBeLessThan(1e-15);
  });

  // Padded sequences, length 1, 0 and > seqLen, seqLen 1, a single head, an odd head size.
  const cases: [number, number, number, number, number[]][] = [
    [2, 5, 2, 3, [5, 2]],
    [3, 4, 1, 4, [1, 0, 9]],
    [1, 1, 2, 2, [1]],
    [2, 6, 2, 5, [6, 4]],
  ];
  for (const [batch, seqLen, heads, headDim, lens] of cases) {
    it(`matches central differences: b=${batch} S=${seqLen} H=${heads} D=${headDim} len=[${lens}]`, () => {
      const seed = batch * 1000 + seqLen * 10 + headDim;
      const s: AttentionShape = { batch, seqLen, heads, headDim, scale: 1 / Math.sqrt(headDim), lengths: Uint32Array.from(lens) };
      const qkv = random(seed, batch * seqLen * 3 * heads * headDim, -1.5, 1.5);
      const dOut = random(seed + 1, batch * seqLen * heads * headDim);
      // The loss reads the real rows only (padded rows' outputs are not part of the result).
      const w = dOut.slice();
      for (let b = 0; b < batch; b++)
        for (let i = Math.min(lens[b], seqLen); i < seqLen; i++) w.fill(0, (b * seqLen + i) * heads * headDim, (b * seqLen + i + 1) * heads * headDim);
      const numeric = centralDifferences(qkv, () => dot(w, attention64(qkv, s)));
      // dOut is given unmasked: the reference must ignore padded rows itself.
      const analytic = attentionBackwardReference({ ...s, qkv, dOut });
      expect(relativeError(analytic, numeric)).toBeLessThan(1e-6);
      // Padding gets exactly zero, and so do the differences (its inputs do not reach the real rows).
      const stride = 3 * heads * headDim;
      for (let b = 0; b < batch; b++)
        for (let i = Math.min(lens[b], seqLen); i < seqLen; i++)
          for (let c = 0; c < stride; c++) {
            expect(analytic[(b * seqLen + i) * stride + c]).toBe(0);
            expect(numeric[(b * seqLen + i) * stride + c]).toBe(0);
          }
    });
  }
});

describe('matmulReference with transposeA', () => {
  // Weight gradient of out = X·W: dW = Xᵀ·dY, with X [rows, in] given as A = [k, m] = [rows, in].
  for (const [rows, inputs, outputs] of [
    [7, 5, 3],
    [1, 4, 6],
    [37, 2, 1],
  ]) {
    it(`gives dW = Xᵀ·dY, the central differences of ⟨dY, X·W⟩: X ${rows}×${inputs}, W ${inputs}×${outputs}`, () => {
      const x = random(rows, rows * inputs);
      const w = random(rows + 1, inputs * outputs);
      const dY = random(rows + 2, rows * outputs);
      const numeric = centralDifferences(w, () => dot(dY, matmulReference({ a: x, b: w, m: rows, n: outputs, k: inputs })));
      const analytic = matmulReference({ a: x, b: dY, m: inputs, n: outputs, k: rows, transposeA: true });
      expect(relativeError(analytic, numeric)).toBeLessThan(1e-6);
    });
  }

  it('equals the product with A transposed explicitly, and refuses transposeB with it', () => {
    const [m, n, k] = [4, 3, 5];
    const a = random(1, k * m);
    const b = random(2, k * n);
    const at = Float64Array.from({ length: m * k }, (_, i) => a[(i % k) * m + Math.floor(i / k)]);
    expect([...matmulReference({ a, b, m, n, k, transposeA: true })]).toEqual([...matmulReference({ a: at, b, m, n, k })]);
    expect(() => matmulReference({ a, b, m, n, k, transposeA: true, transposeB: true })).toThrow(/transposeA together with transposeB/);
  });
});
