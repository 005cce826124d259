import { describe, expect, it } from 'vitest';
import { destroyDispatches } from '../../../src/gpu/preparedDispatch';
import type { Activation } from '../../../src/transformer/kernels/activations';
import { erf, gelu } from '../../../src/transformer/kernels/activations';
import { MatmulKernel, type MatmulOptions } from '../../../src/transformer/kernels/matmul';
import { matmulReference } from '../../../src/transformer/kernels/matmulReference';
import { testRuntime } from '../gpuTestRuntime';
import { TestBuffers, expectClose, randomArray, readFloats, run } from './kernelTestUtils';

const U = 2 ** -24; // f32 unit roundoff

/**
 * Tolerance per output. The kernel sums k products in f32, 4 at a time into one accumulator per output, so
 * the rounding error is at most about (k/4 + 4)·u·Σ|a·b| (Higham, recursive summation), plus one rounding
 * each for bias and residual; we allow 2× that bound. Activations add their own error: 2e-7 relative
 * (erfc fit 1.2e-7, exp) and 2e-7 absolute (tanh), and GELU's slope ≤ 1.13 passes the sum's error through.
 */
function tolerance(x: {
  a: Float32Array;
  b: Float32Array;
  m: number;
  n: number;
  k: number;
  transposeA?: boolean;
  transposeB?: boolean;
  bias?: Float32Array;
  residual?: Float32Array;
}): Float64Array {
  const { a, b, m, n, k } = x;
  const tol = new Float64Array(m * n);
  for (let r = 0; r < m; r++)
    for (let c = 0; c < n; c++) {
      let mag = 0;
      for (let i = 0; i < k; i++) mag += Math.abs((x.transposeA ? a[i * m + r] : a[r * k + i]) * (x.transposeB ? b[c * k + i] : b[i * n + c]));
      mag += Math.abs(x.bias?.[c] ?? 0) + Math.abs(x.residual?.[r * n + c] ?? 0);
      tol[r * n + c] = 2 * (k / 4 + 6) * U * mag * 1.13 + 2e-7;
    }
  return tol;
}

interface Case extends MatmulOptions {
  m: number;
  n: number;
  k: number;
}

async function check(c: Case, seed: number) {
  const rt = await testRuntime();
  const kernel = await MatmulKernel.create(rt, c);
  const bufs = new TestBuffers(rt);
  const a = randomArray(seed, c.m * c.k);
  const b = randomArray(seed + 1, c.k * c.n);
  const bias = c.bias ? randomArray(seed + 2, c.n) : undefined;
  const residual = c.residual ? randomArray(seed + 3, c.m * c.n) : undefined;
  const out = bufs.output(c.m * c.n);
  await run(rt, [
    kernel.prepare({
      a: bufs.upload(a),
      b: bufs.upload(b),
      bias: bias && bufs.upload(bias),
      residual: residual && bufs.upload(residual),
      out,
      m: c.m,
      n: c.n,
      k: c.k,
    }),
  ]);
  const got = await readFloats(rt, out, c.m * c.n);
  const input = { a, b, m: c.m, n: c.n, k: c.k, transposeA: c.transposeA, transposeB: c.transposeB, activation: c.activation, bias, residual };
  expectClose(got, matmulReference(input), tolerance(input), 2e-7, `matmul ${JSON.stringify(c)}`);
  bufs.destroy();
  return kernel;
}

const hasSubgroups = async () => (await testRuntime()).device.features.has('subgroups' as GPUFeatureName);

describe('activation references', () => {
  it('erf matches tabulated values to 1e-15', () => {
    // Abramowitz & Stegun table 7.1 / mpmath.
    const table: [number, number][] = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
      [4.5, 0.9999999998033839],
    ];
    for (const [x, want] of table) {
      expect(Math.abs(erf(x) - want)).toBeLessThan(1e-15);
      expect(Math.abs(erf(-x) + want)).toBeLessThan(1e-15);
    }
    expect(gelu(-1)).toBeCloseTo(-0.15865525393145707, 15);
  });
});

describe('shaders/transformer/matmul*.wgsl', () => {
  // Shapes: smaller than one 16×16 block, not multiples of 4 (unaligned kernel), aligned but ragged against
  // the 128×128 workgroup tile, m = 1 with a wide n, and k = 1.
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [37, 45, 29],
    [33, 68, 20],
    [130, 132, 68],
    [1, 1030, 64],
    [19, 8, 1],
    [150, 36, 4],
  ];
  for (const subgroups of [true, false]) {
    for (const transposeB of [false, true]) {
      for (const [m, n, k] of shapes) {
        it(`${m}×${k}·${k}×${n}${transposeB ? ' (B as [n,k])' : ''}, ${subgroups ? 'quad-shared' : 'no subgroups'}`, async () => {
          if (subgroups && !(await hasSubgroups())) return;
          const kernel = await check({ m, n, k, transposeB, subgroups }, m * 1000 + n + k);
          expect(kernel.isAligned(n, k)).toBe(k % 4 === 0 && (transposeB || n % 4 === 0));
        });
      }
    }
  }

  // Aᵀ·B with A given as [k, m] (weight gradients: k is the number of rows of the batch, anything).
  // Aligned means m % 4 == 0 and n % 4 == 0 for any k: 512×128 with k = 37, k = 1 and 2 (a single
  // partial k-quad), m = 4 (the clamp of the last row group), ragged against the 128 tile; and unaligned
  // m or n: 1, odd sizes, m = 130 with n = 36.
  const transposedShapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [37, 45, 29],
    [512, 128, 37],
    [4, 8, 1],
    [132, 20, 2],
    [36, 260, 9],
    [20, 33, 68],
    [130, 36, 13],
    [1, 1030, 5],
    [150, 4, 64],
  ];
  for (const subgroups of [true, false]) {
    for (const [m, n, k] of transposedShapes) {
      it(`(${k}×${m})ᵀ·${k}×${n} (A as [k,m]), ${subgroups ? 'quad-shared' : 'no subgroups'}`, async () => {
        if (subgroups && !(await hasSubgroups())) return;
        const kernel = await check({ m, n, k, transposeA: true, subgroups }, m * 1000 + n + 7 * k);
        expect(kernel.isAligned(n, k, m)).toBe(m % 4 === 0 && n % 4 === 0);
      });
    }
  }

  it('transposeA with bias, activations and residual; refuses transposeA with transposeB', async () => {
    await check({ m: 44, n: 36, k: 23, activation: 'relu', bias: true, residual: true, transposeA: true }, 21);
    await check({ m: 21, n: 13, k: 9, activation: 'gelu', bias: true, residual: true, transposeA: true }, 22);
    const rt = await testRuntime();
    await expect(MatmulKernel.create(rt, { transposeA: true, transposeB: true })).rejects.toThrow(/transposeA together with transposeB/);
    const kernel = await MatmulKernel.create(rt, { transposeA: true });
    expect(() => kernel.isAligned(8, 8)).toThrow(/needs m/);
    // A is [k, m]: its size is checked as k·m, the same number of floats.
    const bufs = new TestBuffers(rt);
    expect(() => kernel.prepare({ a: bufs.upload(new Float32Array(4)), b: bufs.upload(new Float32Array(5 * 2)), out: bufs.output(6), m: 3, n: 2, k: 5 })).toThrow(/'a' has/);
    bufs.destroy();
  });

  const activations: Activation[] = ['none', 'relu', 'gelu', 'geluTanh', 'tanh'];
  for (const activation of activations) {
    it(`bias, ${activation}, residual on aligned and unaligned shapes`, async () => {
      await check({ m: 45, n: 36, k: 24, activation, bias: true, residual: true }, 7);
      await check({ m: 21, n: 13, k: 9, activation, bias: true, residual: true, transposeB: true }, 8);
      await check({ m: 40, n: 20, k: 16, activation, bias: true }, 9);
    });
  }

  it('takes a wide vocabulary decoder with m = 1 (n = 30522, B as [n, k] and as [k, n])', async () => {
    await check({ m: 1, n: 30522, k: 12, transposeB: true, bias: true }, 11);
    await check({ m: 2, n: 30522, k: 8, bias: true }, 12);
  });

  it('reads bindings at offsets', async () => {
    const rt = await testRuntime();
    const kernel = await MatmulKernel.create(rt, { bias: true });
    const [m, n, k] = [9, 12, 8];
    const bufs = new TestBuffers(rt);
    const a = randomArray(1, m * k);
    const b = randomArray(2, k * n);
    const bias = randomArray(3, n);
    const padded = new Float32Array(64 + m * k);
    padded.set(a, 64); // 256 bytes of something else first
    const out = bufs.output(64 + m * n);
    await run(rt, [
      kernel.prepare({
        a: { buffer: bufs.upload(padded), offset: 256, size: m * k * 4 },
        b: bufs.upload(b),
        bias: bufs.upload(bias),
        out: { buffer: out, offset: 256 },
        m,
        n,
        k,
      }),
    ]);
    const got = await readFloats(rt, out, 64 + m * n);
    expect(got.subarray(0, 64).every(Number.isNaN)).toBe(true);
    const input = { a, b, m, n, k, bias };
    expectClose(got.subarray(64), matmulReference(input), tolerance(input), 0, 'matmul at offsets');
    bufs.destroy();
  });

  it('rejects bad shapes and bindings with RangeError', async () => {
    const rt = await testRuntime();
    const kernel = await MatmulKernel.create(rt, { bias: true });
    const bufs = new TestBuffers(rt);
    const small = bufs.upload(new Float32Array(4));
    const big = bufs.upload(new Float32Array(1024));
    expect(() => kernel.prepare({ a: big, b: big, bias: big, out: big, m: 0, n: 4, k: 4 })).toThrow(RangeError);
    expect(() => kernel.prepare({ a: big, b: big, bias: big, out: big, m: 2.5, n: 4, k: 4 })).toThrow(/m must be an integer/);
    expect(() => kernel.prepare({ a: big, b: big, out: big, m: 4, n: 4, k: 4 })).toThrow(/bias/);
    expect(() => kernel.prepare({ a: small, b: big, bias: big, out: big, m: 4, n: 4, k: 4 })).toThrow(/'a' has 16 bytes, needs 64/);
    expect(() => kernel.prepare({ a: big, b: big, bias: big, residual: big, out: big, m: 4, n: 4, k: 4 })).toThrow(/residual/);
    // In-place is refused up front (WebGPU would only report it at submit); disjoint ranges of one buffer are fine.
    expect(() => kernel.prepare({ a: big, b: small, bias: small, out: big, m: 4, n: 4, k: 1 })).toThrow(/out overlaps input 'a'/);
    expect(() => destroyDispatches([kernel.prepare({ a: { buffer: big, offset: 0, size: 256 }, b: small, bias: small, out: { buffer: big, offset: 256, size: 256 }, m: 4, n: 4, k: 1 })])).not.toThrow();
    bufs.destroy();
  });
});
