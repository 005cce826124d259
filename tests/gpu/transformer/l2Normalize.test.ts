import { describe, expect, it } from 'vitest';
import { L2NormalizeKernel } from '../../../src/transformer/kernels/l2Normalize';
import { l2NormalizeReference } from '../../../src/transformer/kernels/l2NormalizeReference';
import { testRuntime } from '../gpuTestRuntime';
import { TestBuffers, expectClose, randomArray, readFloats, run } from './kernelTestUtils';

const U = 2 ** -24;

describe('shaders/transformer/l2Normalize.wgsl', () => {
  // Σx² in 4 (or 1) running f32 sums has relative error ≤ n·u; the inverse square root halves it and
  // adds ~2u, the product one more u: rtol = n·u + 4u, atol for the zero row only.
  for (const [rows, cols] of [[1, 1], [2, 3], [65, 512], [70, 33], [3, 4]]) {
    it(`matches the reference for ${rows}×${cols}, including an all-zero row`, async () => {
      const rt = await testRuntime();
      const kernel = await L2NormalizeKernel.create(rt);
      const bufs = new TestBuffers(rt);
      const x = randomArray(rows * 13 + cols, rows * cols, -2, 2);
      x.fill(0, 0, cols); // first row zero: must stay zero, not NaN
      const out = bufs.output(rows * cols);
      await run(rt, [kernel.prepare({ x: bufs.upload(x), out, rows, cols })]);
      const got = await readFloats(rt, out, rows * cols);
      expectClose(got, l2NormalizeReference(x, rows, cols), 1e-30, (cols + 4) * U, `l2Normalize ${rows}×${cols}`);
      expect([...got.subarray(0, cols)].every((v) => v === 0)).toBe(true);
      bufs.destroy();
    });
  }
});
