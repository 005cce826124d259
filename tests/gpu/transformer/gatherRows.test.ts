import { describe, expect, it } from 'vitest';
import { GatherRowsKernel } from '../../../src/transformer/kernels/gatherRows';
import { gatherRowsReference } from '../../../src/transformer/kernels/gatherRowsReference';
import { testRuntime } from '../gpuTestRuntime';
import { TestBuffers, randomArray, readFloats, run } from './kernelTestUtils';

describe('shaders/transformer/gatherRows.wgsl', () => {
  // A copy: results must be bit-identical. Repeated and out-of-range indices (clamped to the last row).
  for (const [sourceRows, cols, index] of [
    [10, 7, [3, 3, 0, 9, 12, 0xffffffff]],
    [1, 1, [0]],
    [300, 65, Array.from({ length: 100 }, (_, i) => (i * 37) % 300)],
    [5, 1, Array.from({ length: 70_000 }, (_, i) => i % 6)],
  ] as [number, number, number[]][]) {
    it(`gathers ${index.length} of ${sourceRows} rows × ${cols}`, async () => {
      const rt = await testRuntime();
      const kernel = await GatherRowsKernel.create(rt);
      const bufs = new TestBuffers(rt);
      const x = randomArray(sourceRows + cols, sourceRows * cols);
      const idx = Uint32Array.from(index);
      const out = bufs.output(idx.length * cols);
      await run(rt, [kernel.prepare({ x: bufs.upload(x), index: bufs.upload(idx), out, rows: idx.length, cols, sourceRows })]);
      expect(await readFloats(rt, out, idx.length * cols)).toEqual(gatherRowsReference(x, idx, cols));
      bufs.destroy();
    });
  }
});
