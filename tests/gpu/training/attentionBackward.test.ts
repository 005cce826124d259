import { describe, expect, it } from 'vitest';
import { AttentionBackwardKernel } from '../../../src/training/kernels/attentionBackward';
import { attentionBackwardReference, type AttentionBackwardReferenceInput } from '../../../src/training/kernels/attentionBackwardReference';
import { testRuntime } from '../gpuTestRuntime';
import { TestBuffers, expectClose, randomArray, readFloats, run } from '../transformer/kernelTestUtils';

const U = 2 ** -24;

/**
 * Error budget per element of dQkv, following the kernel's f32 operations (attentionBackwardCore.wgsl):
 *   scores   s_ij = scale·q_i·k_j summed over D in order: |δs| ≤ (D + 4)·u·M_i, M_i = max_j scale·Σ|q_i·k_j|
 *   P        relative error ε_i = 2·δs + (L + 8)·u (an error δ in the scores moves softmax by 2δ relatively;
 *            exp, the sum over L keys and the division add their own)
 *   dP_ij    (D + 4)·u·Σ_c |dOut_ic·v_jc|
 *   D_i      Σ_j P_ij·(|dP_ij|·(ε_i + (L + 4)·u) + err dP_ij)
 *   dS_ij    scale·P_ij·(ε_i·|dP_ij − D_i| + err dP_ij + err D_i + 3u·(|dP_ij| + |D_i|))
 *   dQ, dK   Σ err dS·|k| (|q|) + (L + 4)·u·Σ |dS·k| (|dS·q|);   dV  Σ_i P_ij·(ε_i + (L + 4)·u)·|dOut_i|
 * We allow twice that. Padded rows have a budget of exactly 0.
 */
function tolerance(x: AttentionBackwardReferenceInput): Float64Array {
  const { qkv, lengths, dOut, batch, seqLen: S, heads: H, headDim: D, scale } = x;
  const stride = 3 * H * D;
  const tol = new Float64Array(batch * S * stride);
  const absScale = Math.abs(scale);
  for (let b = 0; b < batch; b++) {
    const L = Math.min(lengths[b], S);
    for (let h = 0; h < H; h++) {
      const q = (i: number) => (b * S + i) * stride + h * D;
      const k = (j: number) => (b * S + j) * stride + H * D + h * D;
      const v = (j: number) => (b * S + j) * stride + 2 * H * D + h * D;
      const o = (i: number) => (b * S + i) * H * D + h * D;
      for (let i = 0; i < L; i++) {
        const s = new Float64Array(L);
        const dp = new Float64Array(L);
        const dpErr = new Float64Array(L);
        let M = 0;
        for (let j = 0; j < L; j++) {
          let dot = 0;
          let mag = 0;
          let dpv = 0;
          let dpMag = 0;
          for (let c = 0; c < D; c++) {
            dot += qkv[q(i) + c] * qkv[k(j) + c];
            mag += Math.abs(qkv[q(i) + c] * qkv[k(j) + c]);
            dpv += dOut[o(i) + c] * qkv[v(j) + c];
            dpMag += Math.abs(dOut[o(i) + c] * qkv[v(j) + c]);
          }
          s[j] = scale * dot;
          M = Math.max(M, absScale * mag);
          dp[j] = dpv;
          dpErr[j] = (D + 4) * U * dpMag;
        }
        const max = Math.max(...s);
        let sum = 0;
        const p = s.map((sj) => Math.exp(sj - max));
        for (const pj of p) sum += pj;
        for (let j = 0; j < L; j++) p[j] /= sum;
        const eps = 2 * (D + 4) * U * M + (L + 8) * U;
        let dRow = 0;
        let dRowErr = 0;
        for (let j = 0; j < L; j++) {
          dRow += p[j] * dp[j];
          dRowErr += p[j] * (Math.abs(dp[j]) * (eps + (L + 4) * U) + dpErr[j]);
        }
        for (let j = 0; j < L; j++) {
          const ds = absScale * p[j] * Math.abs(dp[j] - dRow);
          const dsErr = absScale * p[j] * (eps * Math.abs(dp[j] - dRow) + dpErr[j] + dRowErr + 3 * U * (Math.abs(dp[j]) + Math.abs(dRow)));
          for (let c = 0; c < D; c++) {
            tol[q(i) + c] += 2 * (dsErr + (L + 4) * U * ds) * Math.abs(qkv[k(j) + c]);
            tol[k(j) + c] += 2 * (dsErr + (L + 4) * U * ds) * Math.abs(qkv[q(i) + c]);
            tol[v(j) + c] += 2 * p[j] * (eps + (L + 4) * U) * Math.abs(dOut[o(i) + c]);
          }
        }
      }
    }
  }
  return tol;
}

type Case = [batch: number, seqLen: number, heads: number, headDim: number, lengths: number[]];

async function check(kernel: AttentionBackwardKernel, [batch, seqLen, heads, headDim, lengths]: Case, seed: number, magnitude = 1) {
  const rt = await testRuntime();
  const bufs = new TestBuffers(rt);
  const width = heads * headDim;
  const qkv = randomArray(seed, batch * seqLen * 3 * width, -magnitude, magnitude);
  const dOut = randomArray(seed + 1, batch * seqLen * width);
  const lens = Uint32Array.from(lengths);
  const scale = 1 / Math.sqrt(headDim);
  const scratchFloats = AttentionBackwardKernel.scratchBytes(batch, heads, seqLen) / 4;
  // Outputs and scratch start as NaN: an element never written, or scratch read before it is written,
  // shows up as a mismatch.
  const dQkv = bufs.output(batch * seqLen * 3 * width);
  await run(
    rt,
    kernel.prepare({
      qkv: bufs.upload(qkv),
      lengths: bufs.upload(lens),
      dOut: bufs.upload(dOut),
      probs: bufs.output(scratchFloats),
      dScores: bufs.output(scratchFloats),
      dQkv,
      batch,
      seqLen,
      heads,
      headDim,
      scale,
    }),
  );
  const got = await readFloats(rt, dQkv, batch * seqLen * 3 * width);
  const input = { qkv, lengths: lens, dOut, batch, seqLen, heads, headDim, scale };
  const want = attentionBackwardReference(input);
  const what = `attentionBackward b=${batch} S=${seqLen} H=${heads} D=${headDim} len=[${lengths}]`;
  expectClose(got, want, tolerance(input), 0, what);
  // Padding rows: exactly +0 (not merely within tolerance, not −0).
  for (let b = 0; b < batch; b++)
    for (let i = Math.min(lengths[b], seqLen); i < seqLen; i++)
      for (let c = 0; c < 3 * width; c++) {
        const g = got[(b * seqLen + i) * 3 * width + c];
        if (!Object.is(g, 0)) expect.fail(`${what}: padded row ${b}·${i} column ${c} is ${g}, want +0`);
      }
  bufs.destroy();
  return { got, want };
}

describe('shaders/training/attentionBackward*.wgsl', () => {
  // Head sizes 3, 5, 20 (unaligned kernel) and 4, 8, 64, 128 (vec4); one token; seqLen 5, 33 (not multiples
  // of the 4-row blocks); padded sequences, length 1, length 0, length > seqLen; the USE-Lite shapes
  // (4 heads × 64 and 4 × 128) at seqLen 128.
  const cases: Case[] = [
    [2, 5, 2, 3, [5, 2]],
    [1, 1, 1, 4, [1]],
    [1, 1, 2, 3, [1]],
    [3, 33, 2, 8, [33, 1, 17]],
    [2, 6, 3, 5, [6, 3]],
    [2, 9, 1, 20, [9, 20]],
    [3, 13, 2, 64, [13, 0, 4]],
    [2, 128, 4, 64, [128, 77]],
    [1, 37, 4, 128, [35]],
    [1, 128, 4, 128, [128]],
  ];
  for (const c of cases) {
    const [batch, seqLen, heads, headDim, lengths] = c;
    it(`b=${batch} S=${seqLen} H=${heads} D=${headDim} len=[${lengths}]${AttentionBackwardKernel.isAligned(headDim) ? '' : ' (unaligned)'}`, async () => {
      const kernel = await AttentionBackwardKernel.create(await testRuntime());
      await check(kernel, c, seqLen * 7 + headDim);
    });
  }

  it('subtracts the max: scores in the hundreds neither overflow nor give NaN', async () => {
    const kernel = await AttentionBackwardKernel.create(await testRuntime());
    // |q·k|·scale up to 64·36/8 = 288 at magnitude 6.
    const { got } = await check(kernel, [2, 11, 1, 64, [11, 7]], 99, 6);
    expect(got.every(Number.isFinite)).toBe(true);
    await check(kernel, [1, 7, 2, 6, [7]], 98, 6);
  });

  it('reads bindings at offsets and reuses its scratch', async () => {
    const rt = await testRuntime();
    const kernel = await AttentionBackwardKernel.create(rt);
    const bufs = new TestBuffers(rt);
    const [batch, seqLen, heads, headDim] = [2, 10, 2, 8];
    const width = heads * headDim;
    const qkv = randomArray(5, batch * seqLen * 3 * width);
    const dOut = randomArray(6, batch * seqLen * width);
    const lens = Uint32Array.of(10, 6);
    const scale = 0.3;
    const scratch = AttentionBackwardKernel.scratchBytes(batch, heads, seqLen);
    // Both scratch buffers in one buffer, at offsets that keep the 256-byte binding alignment.
    const second = 256 + Math.ceil(scratch / 256) * 256;
    const shared = bufs.output((second + scratch) / 4);
    const out = bufs.output(64 + batch * seqLen * 3 * width);
    const dispatches = () =>
      kernel.prepare({
        qkv: bufs.upload(qkv),
        lengths: bufs.upload(lens),
        dOut: bufs.upload(dOut),
        probs: { buffer: shared, offset: 256, size: scratch },
        dScores: { buffer: shared, offset: second, size: scratch },
        dQkv: { buffer: out, offset: 256 },
        batch,
        seqLen,
        heads,
        headDim,
        scale,
      });
    await run(rt, [...dispatches(), ...dispatches()]);
    const got = await readFloats(rt, out, 64 + batch * seqLen * 3 * width);
    expect(got.subarray(0, 64).every(Number.isNaN)).toBe(true);
    const input = { qkv, lengths: lens, dOut, batch, seqLen, heads, headDim, scale };
    expectClose(got.subarray(64), attentionBackwardReference(input), tolerance(input), 0, 'attentionBackward at offsets');
    bufs.destroy();
  });

  it('rejects bad shapes and bindings with RangeError', async () => {
    const rt = await testRuntime();
    const kernel = await AttentionBackwardKernel.create(rt);
    const bufs = new TestBuffers(rt);
    const big = () => bufs.upload(new Float32Array(1 << 12));
    const base = { qkv: big(), lengths: bufs.upload(new Uint32Array(4)), dOut: big(), probs: big(), dScores: big(), dQkv: big(), batch: 1, seqLen: 4, heads: 2, headDim: 8, scale: 0.5 };
    expect(AttentionBackwardKernel.scratchBytes(2, 4, 5)).toBe(2 * 4 * 5 * 8 * 4);
    expect(() => kernel.prepare({ ...base, heads: 0 })).toThrow(/heads must be an integer/);
    expect(() => kernel.prepare({ ...base, scale: Number.POSITIVE_INFINITY })).toThrow(/scale/);
    expect(() => kernel.prepare({ ...base, qkv: bufs.upload(new Float32Array(8)) })).toThrow(/'qkv' has 32 bytes/);
    expect(() => kernel.prepare({ ...base, seqLen: 64 })).toThrow(/'probs' has 16384 bytes, needs 32768/);
    expect(() => kernel.prepare({ ...base, dQkv: base.qkv })).toThrow(/overlaps input 'qkv'/);
    expect(() => kernel.prepare({ ...base, dScores: base.probs })).toThrow(/overlaps input 'dScores'/);
    expect(() => kernel.prepare({ ...base, probs: base.dOut })).toThrow(/overlaps input 'dOut'/);
    bufs.destroy();
  });
});
