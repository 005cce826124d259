import { describe, expect, it } from 'vitest';
import { LayerNormBackwardKernel } from '../../../src/training/kernels/layerNormBackward';
import { layerNormBackwardReference } from '../../../src/training/kernels/layerNormBackwardReference';
import { testRuntime } from '../gpuTestRuntime';
import { TestBuffers, expectClose, randomArray, readFloats, run } from '../transformer/kernelTestUtils';

const U = 2 ** -24;

/**
 * Error budget per element, from the forward kernel's analysis (tests/gpu/transformer/layerNorm.test.ts):
 * x̂ is off by e_c ≲ 2n·u·|x̂_c| + n·u + u·|x_c|/σ and inv by n·u relatively. Then mean(g) is off by
 * n·u·mean|g|, mean(g·x̂) by mean(|g|·e) + (n + 2)·u·mean|g·x̂|, and the output
 *   inv·(g − mean g − x̂·mean(g x̂))
 * by inv·(3u·(|g| + |mean g| + |x̂·mean(g x̂)|) + err(mean g) + e_c·|mean(g x̂)| + |x̂_c|·err(mean(g x̂)))
 * plus n·u of its own size (inv) and u·(|dX| + |dRes|) for the residual add. We allow 2× that.
 */
function tolerance(x: Float32Array, gamma: Float32Array, dOut: Float32Array, rows: number, cols: number, eps: number, dRes?: Float32Array): Float64Array {
  const n = cols;
  const tol = new Float64Array(rows * cols);
  const e = new Float64Array(cols);
  const xh = new Float64Array(cols);
  const g = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let mean = 0;
    for (let c = 0; c < cols; c++) mean += x[base + c] / cols;
    let v = 0;
    for (let c = 0; c < cols; c++) v += (x[base + c] - mean) ** 2 / cols;
    const sigma = Math.sqrt(v + eps);
    const inv = 1 / sigma;
    let mg = 0;
    let mgAbs = 0;
    let mgx = 0;
    let mgxAbs = 0;
    let mgE = 0;
    for (let c = 0; c < cols; c++) {
      xh[c] = (x[base + c] - mean) * inv;
      g[c] = dOut[base + c] * gamma[c];
      e[c] = 2 * n * U * Math.abs(xh[c]) + n * U + (U * Math.abs(x[base + c])) / sigma;
      mg += g[c] / n;
      mgAbs += Math.abs(g[c]) / n;
      mgx += (g[c] * xh[c]) / n;
      mgxAbs += Math.abs(g[c] * xh[c]) / n;
      mgE += (Math.abs(g[c]) * e[c]) / n;
    }
    const errMg = n * U * mgAbs;
    const errMgx = mgE + (n + 2) * U * mgxAbs;
    for (let c = 0; c < cols; c++) {
      const inner = g[c] - mg - xh[c] * mgx;
      const t =
        inv * (3 * U * (Math.abs(g[c]) + Math.abs(mg) + Math.abs(xh[c] * mgx)) + errMg + e[c] * Math.abs(mgx) + Math.abs(xh[c]) * errMgx) +
        n * U * inv * Math.abs(inner) +
        U * (inv * Math.abs(inner) + Math.abs(dRes?.[base + c] ?? 0));
      tol[base + c] = 2 * t;
    }
  }
  return tol;
}

interface Case {
  rows: number;
  cols: number;
  seed: number;
  residual?: boolean;
  offset?: number;
  spread?: number;
  eps?: number;
}

async function check(c: Case) {
  const { rows, cols, seed, residual = false, offset = 0, spread = 1, eps = 1e-5 } = c;
  const rt = await testRuntime();
  const kernel = await LayerNormBackwardKernel.create(rt, { residual });
  const bufs = new TestBuffers(rt);
  const x = randomArray(seed, rows * cols, offset - spread, offset + spread);
  const gamma = randomArray(seed + 1, cols, 0.5, 1.5);
  const dOut = randomArray(seed + 2, rows * cols);
  const dRes = residual ? randomArray(seed + 3, rows * cols) : undefined;
  const dX = bufs.output(rows * cols);
  await run(rt, [
    kernel.prepare({ x: bufs.upload(x), gamma: bufs.upload(gamma), dOut: bufs.upload(dOut), dRes: dRes && bufs.upload(dRes), dX, rows, cols, eps }),
  ]);
  const got = await readFloats(rt, dX, rows * cols);
  const want = layerNormBackwardReference(x, gamma, dOut, rows, cols, eps, dRes);
  const err = expectClose(got, want, tolerance(x, gamma, dOut, rows, cols, eps, dRes), 0, `layerNormBackward ${JSON.stringify(c)}`);
  bufs.destroy();
  return { err, scale: Math.max(...want.map(Math.abs)) };
}

describe('shaders/training/layerNormBackward.wgsl', () => {
  // vec4 path (cols % 4 == 0) and scalar path; one row, one column (dX = 0), rows not a multiple of the
  // 64-row workgroup, the USE-Lite widths 256 and 512.
  const shapes: [number, number][] = [
    [1, 1],
    [1, 4],
    [3, 7],
    [65, 64],
    [130, 36],
    [70, 257],
    [5, 512],
    [9, 256],
  ];
  for (const residual of [false, true]) {
    for (const [rows, cols] of shapes) {
      it(`matches the reference for ${rows}×${cols}${residual ? ' + dRes' : ''}`, async () => {
        await check({ rows, cols, seed: rows * 3 + cols, residual });
      });
    }
  }

  it('is stable when |mean| ≫ spread: mean ±300, spread 0.01', async () => {
    // inv ≈ 170 here, so dX is ~170× dOut; the error stays at the f32 level of that.
    for (const [rows, cols, offset, residual] of [
      [17, 128, 300, false],
      [9, 30, -300, true],
    ] as const) {
      const { err, scale } = await check({ rows, cols, seed: 5, offset, spread: 0.01, eps: 1e-12, residual });
      expect(err / scale).toBeLessThan(3e-3);
    }
  });

  it('uses eps: a constant row gives inv·(g − mean g)', async () => {
    const rt = await testRuntime();
    const kernel = await LayerNormBackwardKernel.create(rt);
    const bufs = new TestBuffers(rt);
    const dX = bufs.output(8);
    const dOut = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    // σ = 0, eps = 1/16: inv = 4; g = 2·dOut, mean g = 9.
    await run(rt, [
      kernel.prepare({ x: bufs.upload(new Float32Array(8).fill(2.5)), gamma: bufs.upload(new Float32Array(8).fill(2)), dOut: bufs.upload(dOut), dX, rows: 1, cols: 8, eps: 1 / 16 }),
    ]);
    expect([...(await readFloats(rt, dX, 8))]).toEqual([...dOut].map((d) => 4 * (2 * d - 9)));
    bufs.destroy();
  });

  it('rejects bad shapes and bindings with RangeError', async () => {
    const rt = await testRuntime();
    const plain = await LayerNormBackwardKernel.create(rt);
    const withRes = await LayerNormBackwardKernel.create(rt, { residual: true });
    const bufs = new TestBuffers(rt);
    const a = bufs.upload(new Float32Array(64));
    const b = bufs.upload(new Float32Array(64));
    const out = bufs.output(64);
    const base = { x: a, gamma: a, dOut: b, dX: out, rows: 2, cols: 8, eps: 1e-5 };
    expect(() => plain.prepare({ ...base, rows: 0 })).toThrow(/rows must be an integer/);
    expect(() => plain.prepare({ ...base, eps: -1 })).toThrow(/eps/);
    expect(() => plain.prepare({ ...base, dRes: b })).toThrow(/residual=false but dRes was given/);
    expect(() => withRes.prepare(base)).toThrow(/residual=true but dRes was not given/);
    expect(() => plain.prepare({ ...base, rows: 16 })).toThrow(/'x' has 256 bytes, needs 512/);
    expect(() => plain.prepare({ ...base, dX: b })).toThrow(/overlaps input 'dOut'/);
    expect(() => withRes.prepare({ ...base, dRes: out })).toThrow(/overlaps input 'dRes'/);
    bufs.destroy();
  });
});
