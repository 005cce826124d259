import { describe, expect, it } from 'vitest';
import { makeEmbeddingTable } from '../../src/model/embeddingTable';
import { dchiNoiseReference } from '../../src/privacy/dchiNoiseReference';
import { DeviceEmbeddingTable } from '../../src/privacy/deviceTable';
import { squaredDistancesReference, topKReference } from '../../src/privacy/nearestNeighboursReference';
import { Privatizer } from '../../src/privacy/privatize';
import { sweepEta } from '../../src/privacy/statistics/etaSweep';
import { testRandom, testRuntime } from './gpuTestRuntime';

async function setup(vocab = 60, dim = 16) {
  const rt = await testRuntime();
  const rand = testRandom(21);
  const host = makeEmbeddingTable(Float32Array.from({ length: vocab * dim }, () => rand() * 2 - 1), vocab, dim, {
    excluded: [{ ids: [0], reason: 'unknown' }],
  });
  const table = new DeviceEmbeddingTable(rt, host);
  const privatizer = await Privatizer.create(rt, table);
  const logPrior = new Float64Array(vocab).fill(Math.log(1 / (vocab - 1)));
  logPrior[0] = -Infinity;
  return { host, table, privatizer, logPrior };
}

describe('GPU privatisation against the reference pipeline', () => {
  it('gives the same tokens as reference noise + brute-force nearest neighbour', async () => {
    const { host, privatizer, table } = await setup(53, 13);
    const rows = Array.from({ length: 150 }, (_, i) => ({ id: 1 + (i % 52), example: i >> 3, position: i & 7, draw: 0 }));
    const invEta = 1 / 6;
    const out = await privatizer.privatize(rows, { invEta, seed: 77 });
    const stride = host.dimVec4 * 4;
    let changed = 0;
    rows.forEach((r, i) => {
      const { z } = dchiNoiseReference(host.dim, r, invEta, 77);
      const q = Float64Array.from({ length: host.dim }, (_, j) => host.rows[r.id * stride + j] + z[j]);
      const d = squaredDistancesReference(host, q);
      const [best, second] = topKReference(host, d, 2);
      if (out.ids[i] !== r.id) changed++;
      // Only a float32 near-tie may resolve differently.
      if (out.ids[i] !== best) expect(Math.abs(d[best] - d[second])).toBeLessThan(1e-5 * d[best]);
    });
    expect(changed).toBeGreaterThan(30);
    privatizer.destroy();
    table.destroy();
  });
});

describe('sweepEta', () => {
  it('reports no change and full attack success at huge η, and the opposite at tiny η', async () => {
    const { host, privatizer, logPrior, table } = await setup();
    const examples = [[1, 2, 3, 0, 4], [5, 5, 6]];
    const stats = await sweepEta(
      { examples, etas: [1e7, 1e-3], seed: 4, draws: 6, bayes: { candidates: 4, draws: 8, observations: 10 } },
      { privatizer, table: host, logPrior },
    );
    const [clean, noisy] = stats;
    expect(clean.occurrences).toBe(7); // the unknown token 0 is not counted
    expect(clean.pUnchanged.value).toBe(1);
    expect(clean.meanDistanceMoved).toBe(0);
    expect(clean.plausibleDeniability).toMatchObject({ draws: 6, distinctTokens: 6, meanN: 6, meanS: 1 });
    expect(clean.attacks.identity.value).toBe(1);
    expect(clean.attacks.bayes?.value).toBe(1);
    expect(clean.attacks.bayes?.n).toBe(10);
    expect(noisy.pUnchanged.value).toBeLessThan(0.3);
    expect(noisy.meanDistanceMovedWhenChanged).toBeGreaterThan(0.5);
    expect(noisy.plausibleDeniability.meanS).toBeGreaterThan(3);
    // Deterministic for a seed.
    const again = await sweepEta({ examples, etas: [1e-3], seed: 4, draws: 6 }, { privatizer, table: host, logPrior });
    expect(again[0].pUnchanged).toEqual(noisy.pUnchanged);
    privatizer.destroy();
    table.destroy();
  });

  it('rejects bad requests and stops when cancelled', async () => {
    const { host, privatizer, logPrior, table } = await setup();
    await expect(sweepEta({ examples: [[1]], etas: [0], seed: 1, draws: 1 }, { privatizer, table: host, logPrior })).rejects.toThrow('η');
    await expect(sweepEta({ examples: [[1]], etas: [1], seed: 1, draws: 0 }, { privatizer, table: host, logPrior })).rejects.toThrow('draws');
    await expect(sweepEta({ examples: [[1, 2]], etas: [1], seed: 1, draws: 2 }, { privatizer, table: host, logPrior, cancelled: () => true })).rejects.toThrow(
      'cancelled',
    );
    privatizer.destroy();
    table.destroy();
  });
});
