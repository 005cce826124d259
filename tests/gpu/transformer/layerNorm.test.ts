import { describe, expect, it } from 'vitest';
import { LayerNormKernel } from '../../../src/transformer/kernels/layerNorm';
import { layerNormReference } from '../../../src/transformer/kernels/layerNormReference';
import { testRuntime } from '../gpuTestRuntime';
import { TestBuffers, expectClose, randomArray, readFloats, run } from './kernelTestUtils';

const U = 2 ** -24;

/**
 * Error budget per output. The kernel sums n values in 4 (or 1) running f32 sums, relative error ≤ n·u
 * (scalar path; n/4 + 3 for vec4). d = x − μ̂ is exact where x and μ̂ are within a factor 2 (Sterbenz) and
 * otherwise off by u·|x| ≤ u·(|μ| + |x − μ|); δ = Σd/n and σ are then off by n·u relatively. So
 * |err| ≲ (2n·u·|x̂| + n·u + u·|x|/σ)·|gamma| + u·|beta| with x̂ the normalised value; we allow 2× that.
 */
function tolerance(x: Float32Array, gamma: Float32Array, beta: Float32Array, rows: number, cols: number): Float64Array {
  const tol = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < cols; c++) mean += x[r * cols + c] / cols;
    let v = 0;
    for (let c = 0; c < cols; c++) v += (x[r * cols + c] - mean) ** 2 / cols;
    const sigma = Math.sqrt(v + 1e-30);
    for (let c = 0; c < cols; c++) {
      const xi = x[r * cols + c];
      const normalised = Math.abs(xi - mean) / sigma;
      tol[r * cols + c] = 2 * ((2 * cols * normalised + cols + 2) * U + (U * Math.abs(xi)) / sigma) * Math.abs(gamma[c]) + 2 * U * Math.abs(beta[c]);
    }
  }
  return tol;
}

async function check(rows: number, cols: number, seed: number, offset = 0, spread = 1, eps = 1e-5) {
  const rt = await testRuntime();
  const kernel = await LayerNormKernel.create(rt);
  const bufs = new TestBuffers(rt);
  const x = randomArray(seed, rows * cols, offset - spread, offset + spread);
  const gamma = randomArray(seed + 1, cols, 0.5, 1.5);
  const beta = randomArray(seed + 2, cols);
  const out = bufs.output(rows * cols);
  await run(rt, [kernel.prepare({ x: bufs.upload(x), gamma: bufs.upload(gamma), beta: bufs.upload(beta), out, rows, cols, eps })]);
  const got = await readFloats(rt, out, rows * cols);
  const e = expectClose(got, layerNormReference(x, gamma, beta, rows, cols, eps), tolerance(x, gamma, beta, rows, cols), 0, `layerNorm ${rows}×${cols}`);
  bufs.destroy();
  return e;
}

describe('shaders/transformer/layerNorm.wgsl', () => {
  // vec4 path (cols % 4 == 0) and scalar path, one row, rows not a multiple of the 64-row workgroup.
  for (const [rows, cols] of [[1, 1], [1, 4], [3, 7], [65, 64], [130, 36], [70, 257], [5, 768]]) {
    it(`matches the reference for ${rows}×${cols}`, async () => {
      await check(rows, cols, rows + cols);
    });
  }

  it('is stable when |mean| ≫ spread (corrected two-pass): mean ±300, spread 0.01, mean/σ ≈ 5·10⁴', async () => {
    // E[x²] − μ² here loses everything: 9·10⁴ − 9·10⁴ in f32 has an error of ~0.005 against σ² ≈ 3·10⁻⁵.
    expect(await check(17, 128, 3, 300, 0.01, 1e-12)).toBeLessThan(1e-5);
    expect(await check(9, 30, 4, -300, 0.01, 1e-12)).toBeLessThan(1e-5);
  });

  it('uses eps: a constant row gives beta', async () => {
    const rt = await testRuntime();
    const kernel = await LayerNormKernel.create(rt);
    const bufs = new TestBuffers(rt);
    const out = bufs.output(8);
    const beta = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    await run(rt, [kernel.prepare({ x: bufs.upload(new Float32Array(8).fill(2.5)), gamma: bufs.upload(new Float32Array(8).fill(3)), beta: bufs.upload(beta), out, rows: 1, cols: 8, eps: 1e-12 })]);
    expect([...(await readFloats(rt, out, 8))]).toEqual([...beta]);
    expect(() => kernel.prepare({ x: out, gamma: out, beta: out, out, rows: 1, cols: 8, eps: -1 })).toThrow(/eps/);
    expect(() => kernel.prepare({ x: out, gamma: out, beta: out, out, rows: 2, cols: 8, eps: 0 })).toThrow(/'x' has 32 bytes, needs 64/);
    bufs.destroy();
  });
});
