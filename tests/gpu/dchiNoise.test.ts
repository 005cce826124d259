import { describe, expect, it } from 'vitest';
import { Scratch } from '../../src/gpu/scratch';
import { makeEmbeddingTable } from '../../src/model/embeddingTable';
import { DchiNoiseKernel } from '../../src/privacy/dchiNoise';
import { dchiNoiseReference } from '../../src/privacy/dchiNoiseReference';
import { DeviceEmbeddingTable } from '../../src/privacy/deviceTable';
import { packTokenRows, type TokenRow } from '../../src/privacy/tokenRows';
import { gammaCdf } from '../../src/privacy/stats/distributions';
import { ksTest, sphereDirectionMoments } from '../../src/privacy/stats/goodnessOfFit';
import { testRandom, testRuntime } from './gpuTestRuntime';

async function runNoise(vocab: number, dim: number, rows: TokenRow[], invEta: number[], seed: number, tableSeed = 1) {
  const rt = await testRuntime();
  const rand = testRandom(tableSeed);
  const data = Float32Array.from({ length: vocab * dim }, () => rand() * 2 - 1);
  const host = makeEmbeddingTable(data, vocab, dim, { excluded: [] });
  const table = new DeviceEmbeddingTable(rt, host);
  const kernel = await DchiNoiseKernel.create(rt);
  const scratch = new Scratch(rt, 'test');
  const n = rows.length;
  const rowsBuf = scratch.storage('rows', n * 16);
  const invBuf = scratch.storage('inv', n * 4);
  const out = scratch.storage('out', n * host.dimVec4 * 16);
  const radius = scratch.storage('radius', n * 4);
  rt.write(rowsBuf, packTokenRows(rows, vocab));
  rt.write(invBuf, Float32Array.from(invEta));
  await rt.submit('noise test', (enc) => kernel.encode(enc, scratch, { table, rows: rowsBuf, invEta: invBuf, out, radius, n, seed }));
  const noisy = new Float32Array(await rt.read(out, n * host.dimVec4 * 16));
  const r = new Float32Array(await rt.read(radius, n * 4));
  scratch.destroy();
  table.destroy();
  return { host, noisy, radius: r };
}

/** z = noisy − E[id] for row i, over the true dimension. */
function noiseOf(host: ReturnType<typeof makeEmbeddingTable>, noisy: Float32Array, rows: TokenRow[], i: number): Float64Array {
  const stride = host.dimVec4 * 4;
  return Float64Array.from({ length: host.dim }, (_, j) => noisy[i * stride + j] - host.rows[rows[i].id * stride + j]);
}

describe('shaders/privacy/dchiNoise.wgsl', () => {
  it('matches the reference on an awkward shape (dim 10 → padded 12, 70 rows), padding lanes stay zero', async () => {
    const rand = testRandom(3);
    const rows: TokenRow[] = Array.from({ length: 70 }, (_, i) => ({
      id: Math.floor(rand() * 37), example: Math.floor(rand() * 5), position: i % 13, draw: i % 3,
    }));
    const invEta = rows.map((_, i) => (i % 7 === 0 ? 0 : 0.05 + rand()));
    const { host, noisy, radius } = await runNoise(37, 10, rows, invEta, 123456789);
    for (let i = 0; i < rows.length; i++) {
      const ref = dchiNoiseReference(10, rows[i], invEta[i], 123456789);
      expect(Math.abs(radius[i] - ref.radius)).toBeLessThanOrEqual(1e-5 * Math.max(1, ref.radius));
      const z = noiseOf(host, noisy, rows, i);
      for (let j = 0; j < 10; j++) expect(Math.abs(z[j] - ref.z[j])).toBeLessThan(1e-5 * Math.max(1, ref.radius));
      expect(noisy[i * 12 + 10]).toBe(0);
      expect(noisy[i * 12 + 11]).toBe(0);
      if (invEta[i] === 0) expect([...z].every((x) => x === 0)).toBe(true);
    }
  });

  it('draws the radius from Gamma(d, 1/η) and the direction uniformly on the sphere (d = 256, η = 50)', async () => {
    const n = 3000;
    const dim = 256;
    const eta = 50;
    const rows: TokenRow[] = Array.from({ length: n }, (_, i) => ({ id: i % 11, example: Math.floor(i / 100), position: i % 100, draw: 0 }));
    const { host, noisy, radius } = await runNoise(11, dim, rows, rows.map(() => 1 / eta), 2024);
    const ks = ksTest(radius, (x) => gammaCdf(x, dim, 1 / eta));
    expect(ks.pValue).toBeGreaterThan(1e-3);
    // Mean radius d/η: the per-coordinate mechanism would be off by a factor ~ √d.
    const mean = radius.reduce((a, b) => a + b, 0) / n;
    expect(Math.abs(mean - dim / eta) / (dim / eta)).toBeLessThan(0.01);
    const directions = new Float64Array(n * dim);
    for (let i = 0; i < n; i++) {
      const z = noiseOf(host, noisy, rows, i);
      for (let j = 0; j < dim; j++) directions[i * dim + j] = z[j] / radius[i];
    }
    const m = sphereDirectionMoments(directions, n, dim);
    expect(m.maxAbsMeanZ).toBeLessThan(5);
    expect(m.maxSecondMomentRelErr).toBeLessThan(0.3);
    expect(m.maxCrossMomentZ).toBeLessThan(5.5);
    expect(m.fourthMomentZ).toBeLessThan(5);
    expect(m.maxNormErr).toBeLessThan(1e-3);
  });

  it('is deterministic and independent of batch order and size', async () => {
    const rows: TokenRow[] = Array.from({ length: 40 }, (_, i) => ({ id: i % 9, example: i, position: 3 * i, draw: i % 2 }));
    const inv = rows.map(() => 0.3);
    const a = await runNoise(9, 20, rows, inv, 99);
    const b = await runNoise(9, 20, rows, inv, 99);
    expect(b.noisy).toEqual(a.noisy);
    const reversed = [...rows].reverse();
    const c = await runNoise(9, 20, reversed, inv, 99);
    const stride = 20;
    for (let i = 0; i < rows.length; i++) {
      expect(c.noisy.subarray((rows.length - 1 - i) * stride, (rows.length - i) * stride)).toEqual(a.noisy.subarray(i * stride, (i + 1) * stride));
    }
    const single = await runNoise(9, 20, [rows[17]], [0.3], 99);
    expect(single.noisy).toEqual(a.noisy.subarray(17 * stride, 18 * stride));
    const otherSeed = await runNoise(9, 20, rows, inv, 100);
    expect(otherSeed.noisy).not.toEqual(a.noisy);
  });
});
