// The two kernels BERT training adds (shaders/training/geluBackward.wgsl, shaders/training/promptRows.wgsl)
// against their f64 references on awkward shapes: counts of 1, 3 and not a multiple of 4 (scalar entry
// points) or of 64, d past 64, batch 1, start 0 and > 0. Outputs start as NaN so a missed write shows.

import { describe, expect, it } from 'vitest';
import { MatmulKernel } from '../../../src/transformer/kernels/matmul';
import { GeluKernel, type TrainableActivation } from '../../../src/training/kernels/geluBackward';
import { geluBackwardReference, geluForwardReference } from '../../../src/training/kernels/geluBackwardReference';
import { PromptRowsKernel } from '../../../src/training/kernels/promptRows';
import { promptRowsBackwardReference, promptRowsForwardReference } from '../../../src/training/kernels/promptRowsReference';
import { testRuntime } from '../gpuTestRuntime';
import { TestBuffers, expectClose, randomArray, readFloats, run } from '../transformer/kernelTestUtils';

const U = 2 ** -24;

/** Pre-activations over [−8, 8) plus the edges: ±0, tiny, the |x| = 10 switch, large and huge values. */
function preActivations(seed: number, count: number): Float32Array {
  const x = randomArray(seed, count, -8, 8);
  const special = [0, -0, 1e-30, -1e-30, 3, -3, 9.99, -9.99, 10.01, -10.01, 25, -25, 1e20, -1e20];
  for (let i = 0; i < Math.min(count, special.length); i++) x[(i * 7) % count] = special[i];
  return x;
}

describe('shaders/training/geluBackward.wgsl', () => {
  const activations: TrainableActivation[] = ['gelu', 'geluTanh', 'relu'];
  for (const activation of activations) {
    for (const count of [1, 3, 4, 70, 1029, 4096]) {
      it(`${activation}: forward and backward, ${count} elements`, async () => {
        const rt = await testRuntime();
        const kernel = await GeluKernel.create(rt, { activation });
        const bufs = new TestBuffers(rt);
        const xs = preActivations(count, count);
        const dYs = randomArray(count + 1, count);
        const x = bufs.upload(xs);
        const y = bufs.output(count);
        const dX = bufs.output(count);
        await run(rt, [kernel.prepareForward({ x, y, count }), kernel.prepareBackward({ x, dY: bufs.upload(dYs), dX, count })]);
        // erfcFast is relative 1.2e-7, exp and tanh a few ulp: the forward within 4e-7·|x| (+1e-7 absolute).
        const wantY = geluForwardReference(xs, activation);
        expectClose(await readFloats(rt, y, count), wantY, Float64Array.from(xs, (v) => 1e-7 + 4e-7 * Math.abs(v)), 0, `${activation} y`);
        // The derivative is O(1) (≤ 1.13): a few 1e-7 of the erfc/exp/tanh terms, times |dY| ≤ 1.
        expectClose(await readFloats(rt, dX, count), geluBackwardReference(xs, dYs, activation), 2e-6, 4 * U, `${activation} dX`);
        bufs.destroy();
      });
    }
  }

  it('the forward equals the matmul epilogue bit for bit (so the trainer forward is the encoder forward)', async () => {
    const rt = await testRuntime();
    const [act, linear, fused] = await Promise.all([
      GeluKernel.create(rt),
      MatmulKernel.create(rt, { bias: true }),
      MatmulKernel.create(rt, { bias: true, activation: 'gelu' }),
    ]);
    const bufs = new TestBuffers(rt);
    const m = 5, k = 12, n = 20;
    const a = bufs.upload(randomArray(1, m * k, -2, 2));
    const b = bufs.upload(randomArray(2, k * n));
    const bias = bufs.upload(randomArray(3, n));
    const pre = bufs.output(m * n);
    const split = bufs.output(m * n);
    const once = bufs.output(m * n);
    await run(rt, [
      linear.prepare({ a, b, bias, out: pre, m, n, k }),
      act.prepareForward({ x: pre, y: split, count: m * n }),
      fused.prepare({ a, b, bias, out: once, m, n, k }),
    ]);
    expect([...(await readFloats(rt, split, m * n))]).toEqual([...(await readFloats(rt, once, m * n))]);
    bufs.destroy();
  });

  it('refuses aliasing and short bindings', async () => {
    const rt = await testRuntime();
    const kernel = await GeluKernel.create(rt);
    const bufs = new TestBuffers(rt);
    const x = bufs.upload(new Float32Array(8));
    expect(() => kernel.prepareForward({ x, y: x, count: 8 })).toThrow(/overlaps/);
    expect(() => kernel.prepareBackward({ x, dY: bufs.upload(new Float32Array(8)), dX: bufs.output(4), count: 8 })).toThrow(/dX/);
    await expect(GeluKernel.create(rt, { activation: 'tanh' as TrainableActivation })).rejects.toThrow(/unsupported/);
    bufs.destroy();
  });
});

describe('shaders/training/promptRows.wgsl', () => {
  // [batch, seqLen, N, d, start]: start 0 (= softPrompt), BERT's start 1, N filling the rows, d = 1, d past 64.
  for (const [batch, seqLen, n, d, start] of [
    [3, 7, 2, 5, 1],
    [1, 1, 1, 1, 0],
    [2, 5, 4, 65, 1],
    [4, 9, 3, 130, 6],
    [5, 16, 1, 3, 2],
  ]) {
    const shape = { batch, seqLen, promptLength: n, d, start };
    it(`forward and backward: batch ${batch} × seqLen ${seqLen}, rows ${start}..${start + n - 1}, d ${d}`, async () => {
      const rt = await testRuntime();
      const kernel = await PromptRowsKernel.create(rt);
      const bufs = new TestBuffers(rt);
      const prompt = randomArray(batch + n, n * d);
      const base = randomArray(seqLen + d, n * d);
      const x0 = randomArray(d + 7, batch * seqLen * d);
      const x = bufs.upload(x0);
      await run(rt, [kernel.prepareForward({ prompt: bufs.upload(prompt), base: bufs.upload(base), x, ...shape })]);
      // One f32 addition per prompt element (correctly rounded); every other row untouched, bit for bit.
      expect([...(await readFloats(rt, x, x0.length))]).toEqual([...Float32Array.from(promptRowsForwardReference(prompt, base, x0, shape))]);

      const dX = randomArray(n * 3 + d, batch * seqLen * d);
      const dPrompt = bufs.output(n * d);
      await run(rt, [kernel.prepareBackward({ dX: bufs.upload(dX), dPrompt, ...shape })]);
      expectClose(await readFloats(rt, dPrompt, n * d), promptRowsBackwardReference(dX, shape), batch * batch * U, 0, 'dPrompt');
      bufs.destroy();
    });
  }

  it('refuses prompt rows past the sequence and aliasing', async () => {
    const rt = await testRuntime();
    const kernel = await PromptRowsKernel.create(rt);
    const bufs = new TestBuffers(rt);
    const x = bufs.upload(new Float32Array(2 * 4 * 3));
    const p = bufs.upload(new Float32Array(2 * 3));
    expect(() => kernel.prepareForward({ prompt: p, base: p, x, batch: 2, seqLen: 4, promptLength: 2, d: 3, start: 3 })).toThrow(/exceeds seqLen/);
    expect(() => kernel.prepareBackward({ dX: x, dPrompt: x, batch: 2, seqLen: 4, promptLength: 2, d: 3, start: 1 })).toThrow(/overlaps/);
    bufs.destroy();
  });
});
