import { describe, expect, it } from 'vitest';
import { MeanPoolKernel, type PoolMode } from '../../../src/transformer/kernels/meanPool';
import { meanPoolReference } from '../../../src/transformer/kernels/meanPoolReference';
import { testRuntime } from '../gpuTestRuntime';
import { TestBuffers, expectClose, randomArray, readFloats, run } from './kernelTestUtils';

const U = 2 ** -24;

describe('shaders/transformer/meanPool.wgsl', () => {
  // [batch, seqLen, hidden, lengths]: padded sequences, len 0 (zeros), len > seqLen (counts as seqLen).
  const cases: [number, number, number, number[]][] = [
    [3, 5, 7, [5, 2, 0]],
    [2, 1, 70, [1, 9]],
    [1, 130, 3, [129]],
  ];
  for (const mode of ['mean', 'first'] as PoolMode[]) {
    for (const [batch, seqLen, hidden, lengths] of cases) {
      it(`${mode}: batch ${batch} × ${seqLen} × ${hidden}, lengths [${lengths}]`, async () => {
        const rt = await testRuntime();
        const kernel = await MeanPoolKernel.create(rt, { mode });
        const bufs = new TestBuffers(rt);
        const x = randomArray(batch * 100 + seqLen, batch * seqLen * hidden);
        const lens = Uint32Array.from(lengths);
        const out = bufs.output(batch * hidden);
        await run(rt, [kernel.prepare({ x: bufs.upload(x), lengths: mode === 'mean' ? bufs.upload(lens) : undefined, out, batch, seqLen, hidden })]);
        const got = await readFloats(rt, out, batch * hidden);
        // A running f32 sum of len values |x| ≤ 1, then a division: ≤ (len + 1)·u·max|x|.
        expectClose(got, meanPoolReference(x, lens, batch, seqLen, hidden, mode), (seqLen + 2) * U, 0, `meanPool ${mode}`);
        bufs.destroy();
      });
    }
  }
  it('needs lengths in mean mode', async () => {
    const rt = await testRuntime();
    const kernel = await MeanPoolKernel.create(rt);
    const bufs = new TestBuffers(rt);
    const x = bufs.upload(new Float32Array(64));
    const out = bufs.upload(new Float32Array(64));
    expect(() => kernel.prepare({ x, out, batch: 2, seqLen: 4, hidden: 4 })).toThrow(/'mean' mode needs lengths/);
    expect(() => kernel.prepare({ x, lengths: x, out: x, batch: 2, seqLen: 4, hidden: 4 })).toThrow(/out overlaps input 'x'/);
    bufs.destroy();
  });
});
