// The training graph's plumbing kernels against their f64 references on awkward shapes: batch 1, seqLen 1,
// sizes that are not multiples of the workgroup (64) or of 4, empty pooling ranges, padding rows, and grids
// folded into y (more than 65535 workgroups). Outputs start as NaN so a missed write shows.

import { describe, expect, it } from 'vitest';
import { EmbeddingKernel } from '../../../src/transformer/kernels/embedding';
import { embeddingReference } from '../../../src/transformer/kernels/embeddingReference';
import { GatherRowsKernel } from '../../../src/transformer/kernels/gatherRows';
import { RangeMeanPoolKernel } from '../../../src/training/kernels/rangeMeanPool';
import { rangeMeanPoolBackwardReference, rangeMeanPoolForwardReference } from '../../../src/training/kernels/rangeMeanPoolReference';
import { ReluBackwardKernel } from '../../../src/training/kernels/reluBackward';
import { reluBackwardReference } from '../../../src/training/kernels/reluBackwardReference';
import { ScatterAddRowsKernel, plainRowIndex } from '../../../src/training/kernels/scatterAddRows';
import { scatterAddRowsReference } from '../../../src/training/kernels/scatterAddRowsReference';
import { SoftPromptKernel } from '../../../src/training/kernels/softPrompt';
import { softPromptBackwardReference, softPromptForwardReference } from '../../../src/training/kernels/softPromptReference';
import { testRuntime } from '../gpuTestRuntime';
import { TestBuffers, expectClose, randomArray, readFloats, run } from '../transformer/kernelTestUtils';

const U = 2 ** -24;
/** Results of one f32 addition of f32 inputs are correctly rounded: compare to the rounded f64 value. */
const f32 = (a: ArrayLike<number>) => Float32Array.from(a);

/** Inputs in [-1, 1): the seeded Philox stream for small cases, a cheap integer hash for the multi-million ones. */
function inputs(seed: number, length: number): Float32Array {
  if (length < 100_000) return randomArray(seed, length);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = (Math.imul(i + seed * 0x9e3779b1, 0x85ebca6b) >>> 8) / 2 ** 23 - 1;
  return out;
}

/** Bit-for-bit equality (−0 ≠ +0), reporting the first difference; fast on millions of elements. */
function expectIdentical(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < w.length; i++) {
    if (g[i] !== w[i]) expect.fail(`${what}: element ${i} is ${got[i]}, want ${want[i]}`);
  }
}

describe('shaders/training/softPrompt.wgsl', () => {
  // [batch, seqLen, N, d, extra position rows]: N = seqLen, d = 1, d past 64, batch·N past 65535 groups.
  for (const [batch, seqLen, n, d, extra] of [
    [3, 5, 2, 7, 4],
    [1, 1, 1, 1, 0],
    [2, 4, 4, 65, 1],
    [5, 9, 3, 130, 0],
    [70_000, 1, 1, 1, 0],
  ]) {
    const shape = { batch, seqLen, promptLength: n, d };
    it(`forward and backward: batch ${batch} × seqLen ${seqLen}, N ${n}, d ${d}`, async () => {
      const rt = await testRuntime();
      const kernel = await SoftPromptKernel.create(rt);
      const bufs = new TestBuffers(rt);
      const prompt = randomArray(batch + n, n * d);
      const positions = randomArray(seqLen + d, (n + extra) * d);
      const x0 = randomArray(d + 7, batch * seqLen * d);
      const x = bufs.upload(x0);
      await run(rt, [kernel.prepareForward({ prompt: bufs.upload(prompt), positions: bufs.upload(positions), x, ...shape })]);
      // Prompt rows: one f32 addition (exact after rounding); every other row untouched, bit for bit.
      expectIdentical(await readFloats(rt, x, x0.length), f32(softPromptForwardReference(prompt, positions, x0, shape)), 'x');

      const dX = randomArray(n * 3 + d, batch * seqLen * d);
      const dPrompt = bufs.output(n * d);
      await run(rt, [kernel.prepareBackward({ dX: bufs.upload(dX), dPrompt, ...shape })]);
      // A running f32 sum of batch terms |dX| ≤ 1: error ≤ (batch − 1)·u·batch.
      expectClose(await readFloats(rt, dPrompt, n * d), softPromptBackwardReference(dX, shape), batch * batch * U, 0, 'dPrompt');
      bufs.destroy();
    });
  }

  it('overwrites the prompt rows of the embedding output in the same pass', async () => {
    const rt = await testRuntime();
    const [embedding, soft] = await Promise.all([EmbeddingKernel.create(rt), SoftPromptKernel.create(rt)]);
    const bufs = new TestBuffers(rt);
    const batch = 3, seqLen = 6, n = 2, d = 10, vocab = 11;
    const ids = Uint32Array.from({ length: batch * seqLen }, (_, i) => (i * 5) % vocab);
    const table = randomArray(1, vocab * d);
    const positions = randomArray(2, seqLen * d);
    const prompt = randomArray(3, n * d);
    const x = bufs.output(batch * seqLen * d);
    const tableB = bufs.upload(table);
    const positionsB = bufs.upload(positions);
    await run(rt, [
      embedding.prepare({ ids: bufs.upload(ids), table: tableB, positions: positionsB, out: x, rows: batch * seqLen, seqLen, hidden: d, scale: 2 }),
      soft.prepareForward({ prompt: bufs.upload(prompt), positions: positionsB, x, batch, seqLen, promptLength: n, d }),
    ]);
    const embedded = embeddingReference({ ids, table, positions, seqLen, hidden: d, scale: 2 });
    const want = softPromptForwardReference(prompt, positions, embedded, { batch, seqLen, promptLength: n, d });
    expectClose(await readFloats(rt, x, want.length), want, 2 * U * 4, 0, 'x0');
    bufs.destroy();
  });

  it('refuses bad shapes and aliasing', async () => {
    const rt = await testRuntime();
    const kernel = await SoftPromptKernel.create(rt);
    const bufs = new TestBuffers(rt);
    const small = bufs.upload(new Float32Array(8));
    const x = bufs.upload(new Float32Array(64));
    const shape = { batch: 2, seqLen: 4, promptLength: 2, d: 8 };
    expect(() => kernel.prepareForward({ prompt: x, positions: x, x: bufs.upload(new Float32Array(64)), ...shape, promptLength: 0 })).toThrow(/promptLength must be an integer ≥ 1/);
    expect(() => kernel.prepareForward({ prompt: x, positions: x, x: bufs.upload(new Float32Array(64)), ...shape, promptLength: 5 })).toThrow(/exceeds seqLen/);
    expect(() => kernel.prepareForward({ prompt: small, positions: x, x: bufs.upload(new Float32Array(64)), ...shape })).toThrow(/'prompt' has 32 bytes, needs 64/);
    expect(() => kernel.prepareForward({ prompt: x, positions: x, x, ...shape })).toThrow(/out overlaps input 'prompt'/);
    expect(() => kernel.prepareBackward({ dX: x, dPrompt: { buffer: x, offset: 0, size: 64 }, ...shape })).toThrow(/out overlaps input 'dX'/);
    bufs.destroy();
  });
});

describe('shaders/training/rangeMeanPool.wgsl', () => {
  // [batch, seqLen, hidden, start, lengths]: len = start and len < start (empty: zeros), len past seqLen,
  // start = seqLen (all empty), seqLen 1, hidden 1, hidden past 64.
  const cases: [number, number, number, number, number[]][] = [
    [4, 6, 7, 2, [6, 4, 2, 9]],
    [3, 5, 65, 0, [5, 0, 1]],
    [2, 3, 1, 3, [3, 7]],
    [1, 1, 1, 0, [1]],
    [2, 7, 4, 3, [1, 5]],
    [1, 130, 3, 5, [129]],
  ];
  for (const [batch, seqLen, hidden, start, lengths] of cases) {
    const shape = { batch, seqLen, hidden, start };
    it(`batch ${batch} × ${seqLen} × ${hidden}, rows [${start}, lengths [${lengths}])`, async () => {
      const rt = await testRuntime();
      const kernel = await RangeMeanPoolKernel.create(rt);
      const bufs = new TestBuffers(rt);
      await check(rt, kernel, bufs, shape, Uint32Array.from(lengths));
      bufs.destroy();
    });
  }

  it('folds grids past 65535 workgroups (batch 65600 × 1 × 64, lengths 0 and 1)', async () => {
    const rt = await testRuntime();
    const kernel = await RangeMeanPoolKernel.create(rt);
    const bufs = new TestBuffers(rt);
    const batch = 65_600;
    await check(rt, kernel, bufs, { batch, seqLen: 1, hidden: 64, start: 0 }, Uint32Array.from({ length: batch }, (_, b) => b % 3 === 0 ? 0 : 1));
    bufs.destroy();
  });

  async function check(rt: Awaited<ReturnType<typeof testRuntime>>, kernel: RangeMeanPoolKernel, bufs: TestBuffers, shape: { batch: number; seqLen: number; hidden: number; start: number }, lengths: Uint32Array) {
    const { batch, seqLen, hidden } = shape;
    const x = inputs(batch + seqLen + hidden, batch * seqLen * hidden);
    const dPooled = inputs(hidden + 3, batch * hidden);
    const lengthsB = bufs.upload(lengths);
    const out = bufs.output(batch * hidden);
    const dX = bufs.output(batch * seqLen * hidden);
    await run(rt, [
      kernel.prepareForward({ x: bufs.upload(x), lengths: lengthsB, out, ...shape }),
      kernel.prepareBackward({ dPooled: bufs.upload(dPooled), lengths: lengthsB, dX, ...shape }),
    ]);
    // A running f32 sum of ≤ seqLen terms |x| ≤ 1, then a division: ≤ (seqLen + 2)·u. Empty ranges: exact 0.
    expectClose(await readFloats(rt, out, batch * hidden), rangeMeanPoolForwardReference(x, lengths, shape), (seqLen + 2) * U, 0, 'pooled');
    // One division (WGSL allows 2.5 ulp); rows outside the range must be exactly 0.
    expectClose(await readFloats(rt, dX, batch * seqLen * hidden), rangeMeanPoolBackwardReference(dPooled, lengths, shape), 0, 3 * U, 'dX');
  }

  it('refuses bad shapes and aliasing', async () => {
    const rt = await testRuntime();
    const kernel = await RangeMeanPoolKernel.create(rt);
    const bufs = new TestBuffers(rt);
    const a = bufs.upload(new Float32Array(64));
    const lengths = bufs.upload(Uint32Array.of(1, 2));
    const shape = { batch: 2, seqLen: 4, hidden: 8, start: 1 };
    expect(() => kernel.prepareForward({ x: a, lengths, out: bufs.upload(new Float32Array(16)), ...shape, start: -1 })).toThrow(/start must be an integer ≥ 0/);
    expect(() => kernel.prepareForward({ x: a, lengths, out: a, ...shape })).toThrow(/out overlaps input 'x'/);
    expect(() => kernel.prepareBackward({ dPooled: a, lengths, dX: bufs.upload(new Float32Array(32)), ...shape })).toThrow(/'dX' has 128 bytes, needs 256/);
    expect(() => kernel.prepareBackward({ dPooled: a, lengths, dX: lengths, ...shape })).toThrow(/'dX' has|overlaps/);
    bufs.destroy();
  });
});

describe('shaders/training/scatterAddRows.wgsl', () => {
  // [batch, seqLen, N, m, width]: the plain rows of the layout, scattered into a gradient that is not zero.
  for (const [batch, seqLen, n, m, width] of [
    [3, 6, 2, 2, 7],
    [1, 1, 0, 1, 1],
    [2, 5, 1, 4, 65],
    [4, 9, 3, 5, 130],
  ]) {
    it(`plain rows: batch ${batch}, seqLen ${seqLen}, N ${n}, m ${m}, width ${width}; gather then scatter back`, async () => {
      const rt = await testRuntime();
      const [gather, scatter] = await Promise.all([GatherRowsKernel.create(rt), ScatterAddRowsKernel.create(rt)]);
      const bufs = new TestBuffers(rt);
      const index = plainRowIndex(batch, seqLen, n, m);
      const rows = batch * seqLen;
      const count = index.length;
      const states = randomArray(width + m, rows * width);
      const dStates = randomArray(width + 1, rows * width);
      const indexB = bufs.upload(index);
      const gathered = bufs.output(count * width);
      const dst = bufs.upload(dStates);
      await run(rt, [
        gather.prepare({ x: bufs.upload(states), index: indexB, out: gathered, rows: count, cols: width, sourceRows: rows }),
        scatter.prepare({ src: gathered, index: indexB, dst, count, width, dstRows: rows }),
      ]);
      // One f32 addition per touched element (correctly rounded); other rows bit for bit.
      const want = scatterAddRowsReference(Array.from(index, (r) => Array.from(states.subarray(r * width, (r + 1) * width))).flat(), index, dStates, width);
      expectIdentical(await readFloats(rt, dst, rows * width), f32(want), 'dst');
      bufs.destroy();
    });
  }

  it('scatters a permutation into 70001 rows (grid folded), skipping an out-of-range index', async () => {
    const rt = await testRuntime();
    const kernel = await ScatterAddRowsKernel.create(rt);
    const bufs = new TestBuffers(rt);
    const dstRows = 70_001;
    const count = 70_000;
    const index = Uint32Array.from({ length: count }, (_, i) => (i === 5 ? 0xffffffff : (i * 3) % dstRows));
    const src = randomArray(9, count);
    const base = randomArray(10, dstRows);
    const dst = bufs.upload(base);
    await run(rt, [kernel.prepare({ src: bufs.upload(src), index: bufs.upload(index), dst, count, width: 1, dstRows })]);
    expectIdentical(await readFloats(rt, dst, dstRows), f32(scatterAddRowsReference(src, index, base, 1)), 'dst');
    bufs.destroy();
  });

  it('refuses bad shapes and aliasing', async () => {
    const rt = await testRuntime();
    const kernel = await ScatterAddRowsKernel.create(rt);
    const bufs = new TestBuffers(rt);
    const a = bufs.upload(new Float32Array(64));
    const index = bufs.upload(Uint32Array.of(0, 1, 2, 3));
    expect(() => kernel.prepare({ src: a, index, dst: a, count: 4, width: 4, dstRows: 4 })).toThrow(/out overlaps input 'src'/);
    expect(() => kernel.prepare({ src: a, index, dst: bufs.upload(new Float32Array(8)), count: 4, width: 4, dstRows: 4 })).toThrow(/'dst' has 32 bytes, needs 64/);
    expect(() => kernel.prepare({ src: a, index, dst: bufs.upload(new Float32Array(64)), count: 0, width: 4, dstRows: 4 })).toThrow(/count must be an integer ≥ 1/);
    bufs.destroy();
  });
});

describe('shaders/training/reluBackward.wgsl', () => {
  // Scalar (odd, 1, 65) and vec4 (4, 64, 256, 1000) paths; 64·65535 + 1 folds the scalar grid into y.
  for (const count of [1, 3, 4, 7, 64, 65, 256, 1000, 64 * 65_535 + 1]) {
    it(`count ${count} (${count % 4 === 0 ? 'vec4' : 'scalar'})`, async () => {
      const rt = await testRuntime();
      const kernel = await ReluBackwardKernel.create(rt);
      const bufs = new TestBuffers(rt);
      // ReLU outputs: about half exact zeros (one of them −0), the rest positive; dY includes a NaN that
      // must not leak through a zero activation.
      const y = inputs(count, count).map((v) => Math.max(v, 0));
      if (count > 2) y[2] = -0;
      const dY = inputs(count + 1, count);
      const nanAt = y.findIndex((v) => v === 0);
      if (nanAt >= 0) dY[nanAt] = Number.NaN;
      const dX = bufs.output(count);
      await run(rt, [kernel.prepare({ y: bufs.upload(y), dY: bufs.upload(dY), dX, count })]);
      expectIdentical(await readFloats(rt, dX, count), reluBackwardReference(y, dY), 'dX');
      bufs.destroy();
    });
  }

  it('refuses bad shapes and aliasing', async () => {
    const rt = await testRuntime();
    const kernel = await ReluBackwardKernel.create(rt);
    const bufs = new TestBuffers(rt);
    const a = bufs.upload(new Float32Array(16));
    const b = bufs.upload(new Float32Array(16));
    expect(() => kernel.prepare({ y: a, dY: b, dX: b, count: 16 })).toThrow(/out overlaps input 'dY'/);
    expect(() => kernel.prepare({ y: a, dY: b, dX: bufs.upload(new Float32Array(16)), count: 17 })).toThrow(/'y' has 64 bytes, needs 68/);
    expect(() => kernel.prepare({ y: a, dY: b, dX: bufs.upload(new Float32Array(16)), count: 0 })).toThrow(/count must be an integer ≥ 1/);
    bufs.destroy();
  });
});
