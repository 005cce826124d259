import { describe, expect, it } from 'vitest';
import { AttentionKernel } from '../../../src/transformer/kernels/attention';
import { attentionReference, type AttentionReferenceInput } from '../../../src/transformer/kernels/attentionReference';
import { testRuntime } from '../gpuTestRuntime';
import { TestBuffers, expectClose, randomArray, readFloats, run } from './kernelTestUtils';

const U = 2 ** -24;

/**
 * Error budget. A score s = scale·q·k is a sum of D products in f32, error ≤ (D/4 + 8)·u·M where M bounds
 * scale·Σ_c |q_c·k_c| over all pairs (each lane sums D/4 terms, then 2 quad additions; the portable kernel
 * sums all D, covered by the 2× below). An error δ in the scores changes a softmax-weighted average of v by
 * at most 2δ·max|v|; the weighted sum itself adds (len + 8)·u·max|v|. We allow twice the total.
 */
function tolerance(x: AttentionReferenceInput): number {
  const { qkv, batch, seqLen: S, heads: H, headDim: D, scale } = x;
  const stride = 3 * H * D;
  let M = 0;
  let V = 0;
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < S; i++)
        for (let j = 0; j < S; j++) {
          let s = 0;
          for (let c = 0; c < D; c++) s += Math.abs(qkv[(b * S + i) * stride + h * D + c] * qkv[(b * S + j) * stride + H * D + h * D + c]);
          M = Math.max(M, Math.abs(scale) * s);
          V = Math.max(V, Math.abs(qkv[(b * S + j) * stride + 2 * H * D + h * D + (i % D)]));
        }
  return 2 * (2 * 2 * (D / 4 + 8) * U * M + (S + 8) * U) * Math.max(V, 1);
}

async function check(kernel: AttentionKernel, batch: number, seqLen: number, heads: number, headDim: number, lengths: number[], seed: number, magnitude = 1) {
  const rt = await testRuntime();
  const bufs = new TestBuffers(rt);
  const qkv = randomArray(seed, batch * seqLen * 3 * heads * headDim, -magnitude, magnitude);
  const lens = Uint32Array.from(lengths);
  const out = bufs.output(batch * seqLen * heads * headDim);
  const scale = 1 / Math.sqrt(headDim);
  await run(rt, [kernel.prepare({ qkv: bufs.upload(qkv), lengths: bufs.upload(lens), out, batch, seqLen, heads, headDim, scale })]);
  const got = await readFloats(rt, out, batch * seqLen * heads * headDim);
  const input = { qkv, lengths: lens, batch, seqLen, heads, headDim, scale };
  const tol = tolerance(input);
  const err = expectClose(got, attentionReference(input), tol, 0, `attention b=${batch} S=${seqLen} H=${heads} D=${headDim} len=${lengths}`);
  bufs.destroy();
  return { err, tol };
}

describe('shaders/transformer/attention.wgsl and attentionPortable.wgsl', () => {
  // [batch, seqLen, heads, headDim, lengths]: padded sequences, len 0, len > seqLen (counts as seqLen),
  // seqLen not a multiple of 4 or 8 (a quad's rows) or of the 128-row workgroup, a single token, several
  // quad slice widths (headDim 16 … 128) and two that only the portable kernel takes (80, 20).
  const cases: [number, number, number, number, number[]][] = [
    [3, 13, 2, 16, [13, 5, 0]],
    [2, 67, 3, 64, [67, 1]],
    [1, 1, 1, 128, [1]],
    [2, 9, 2, 48, [9, 20]],
    [2, 30, 1, 32, [29, 4]],
    [1, 70, 2, 128, [70]],
    [2, 133, 1, 64, [133, 129]],
    [4, 6, 4, 80, [6, 3, 2, 1]],
    [2, 5, 2, 20, [5, 2]],
  ];
  for (const subgroups of [true, false]) {
    for (const [batch, seqLen, heads, headDim, lengths] of cases) {
      it(`b=${batch} S=${seqLen} H=${heads} D=${headDim} len=[${lengths}], ${subgroups ? 'subgroups' : 'portable'}`, async () => {
        const rt = await testRuntime();
        if (subgroups && !rt.device.features.has('subgroups' as GPUFeatureName)) return;
        const kernel = await AttentionKernel.create(rt, { subgroups });
        expect(kernel.usesQuadKernel(headDim)).toBe(subgroups && headDim % 16 === 0 && headDim <= 128);
        const { err, tol } = await check(kernel, batch, seqLen, heads, headDim, lengths, seqLen * 7 + headDim);
        expect(err).toBeLessThan(tol);
      });
    }
  }

  it('subtracts the max: scores of ±300 neither overflow nor underflow to NaN', async () => {
    const rt = await testRuntime();
    for (const subgroups of [true, false]) {
      if (subgroups && !rt.device.features.has('subgroups' as GPUFeatureName)) continue;
      const kernel = await AttentionKernel.create(rt, { subgroups });
      // |q·k|·scale up to 64·9/8 = 72 per unit; magnitude 6 gives scores in the hundreds.
      await check(kernel, 2, 11, 1, 64, [11, 7], 99, 6);
    }
  });

  it('rejects bad shapes with RangeError', async () => {
    const rt = await testRuntime();
    const kernel = await AttentionKernel.create(rt, { subgroups: false });
    const bufs = new TestBuffers(rt);
    const big = bufs.upload(new Float32Array(1 << 16));
    const base = { qkv: big, lengths: bufs.upload(new Uint32Array(4)), out: bufs.upload(new Float32Array(1 << 16)), batch: 1, seqLen: 4, heads: 2, headDim: 8, scale: 0.5 };
    expect(() => kernel.prepare({ ...base, heads: 0 })).toThrow(RangeError);
    expect(() => kernel.prepare({ ...base, scale: Number.NaN })).toThrow(/scale/);
    expect(() => kernel.prepare({ ...base, qkv: bufs.upload(new Float32Array(8)) })).toThrow(/'qkv' has 32 bytes/);
    expect(() => kernel.prepare({ ...base, seqLen: 600, batch: 1, heads: 1, headDim: 4 })).toThrow(/seqLen 600 > 512/);
    expect(() => kernel.prepare({ ...base, out: big })).toThrow(/out overlaps input 'qkv'/);
    bufs.destroy();
  });
});
