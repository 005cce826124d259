import { describe, expect, it } from 'vitest';
import { Scratch } from '../../src/gpu/scratch';
import { makeEmbeddingTable, type EmbeddingTable } from '../../src/model/embeddingTable';
import { DeviceEmbeddingTable } from '../../src/privacy/deviceTable';
import { NearestNeighbourKernels } from '../../src/privacy/nearestNeighbours';
import { rankReference, squaredDistancesReference, topKReference } from '../../src/privacy/nearestNeighboursReference';
import { Privatizer } from '../../src/privacy/privatize';
import { testRandom, testRuntime } from './gpuTestRuntime';

/** Integer-valued rows in {-2..2} with deliberate duplicates: float32 distances are exact, so ties are real. */
function tieTable(vocab: number, dim: number, excluded: number[]): EmbeddingTable {
  const rand = testRandom(11);
  const data = Float32Array.from({ length: vocab * dim }, () => Math.floor(rand() * 5) - 2);
  for (let v = 5; v < vocab; v += 7) data.copyWithin(v * dim, (v - 3) * dim, (v - 2) * dim);
  return makeEmbeddingTable(data, vocab, dim, { excluded: [{ ids: excluded, reason: 'test' }] });
}

async function distancesOnGpu(host: EmbeddingTable, queries: Float32Array, nq: number) {
  const rt = await testRuntime();
  const table = new DeviceEmbeddingTable(rt, host);
  const kernels = await NearestNeighbourKernels.create(rt);
  const scratch = new Scratch(rt, 'test');
  const q = scratch.storage('q', queries.byteLength);
  rt.write(q, queries as Float32Array<ArrayBuffer>);
  const dist = scratch.storage('dist', nq * host.vocabSize * 4);
  await rt.submit('distances test', (enc) => kernels.encodeDistances(enc, scratch, table, q, nq, dist));
  const out = new Float32Array(await rt.read(dist, nq * host.vocabSize * 4));
  return { rt, table, kernels, scratch, dist, out };
}

describe('shaders/privacy/pairwiseDistances.wgsl', () => {
  for (const [vocab, dim, nq] of [[37, 10, 45], [1, 3, 1], [70, 33, 33], [129, 256, 5]]) {
    it(`matches the reference for V=${vocab}, d=${dim}, queries=${nq}`, async () => {
      const rand = testRandom(vocab * 31 + dim);
      const host = makeEmbeddingTable(Float32Array.from({ length: vocab * dim }, () => rand() * 2 - 1), vocab, dim, { excluded: [] });
      const queries = new Float32Array(nq * host.dimVec4 * 4);
      for (let i = 0; i < nq; i++) for (let j = 0; j < dim; j++) queries[i * host.dimVec4 * 4 + j] = rand() * 2 - 1;
      const { out, table, scratch } = await distancesOnGpu(host, queries, nq);
      for (let i = 0; i < nq; i++) {
        const ref = squaredDistancesReference(host, queries.subarray(i * host.dimVec4 * 4));
        for (let v = 0; v < vocab; v++) expect(Math.abs(out[i * vocab + v] - ref[v])).toBeLessThan(1e-5 * Math.max(1, ref[v]));
      }
      scratch.destroy();
      table.destroy();
    });
  }
});

describe('shaders/privacy/nearestSelect.wgsl and rankOf.wgsl', () => {
  it('return exact top-k and ranks with ties broken by the lower id, skipping non-candidates', async () => {
    const vocab = 75;
    const dim = 6;
    const host = tieTable(vocab, dim, [0, 1, 2, 40, 74]);
    const nq = 67;
    const rand = testRandom(5);
    const stride = host.dimVec4 * 4;
    const queries = new Float32Array(nq * stride);
    const sources: number[] = [];
    for (let i = 0; i < nq; i++) {
      // Half the queries sit exactly on a row (duplicates give exact ties), half are random integer points.
      const onRow = i % 2 === 0;
      const src = Math.floor(rand() * vocab);
      sources.push(src);
      for (let j = 0; j < dim; j++) queries[i * stride + j] = onRow ? host.rows[src * stride + j] : Math.floor(rand() * 5) - 2;
    }
    const { rt, table, kernels, scratch, dist } = await distancesOnGpu(host, queries, nq);
    const k = 9;
    const rows = scratch.storage('rows', nq * 16);
    rt.write(rows, Uint32Array.from({ length: nq * 4 }, (_, i) => (i % 4 === 0 ? sources[i / 4] : 0)));
    const outIds = scratch.storage('ids', nq * k * 4);
    const outDist = scratch.storage('d', nq * k * 4);
    const targets = scratch.storage('targets', nq * 4);
    const ranks = scratch.storage('ranks', nq * 4);
    const targetIds = sources.map((s, i) => (i % 3 === 0 ? 40 : s));
    rt.write(targets, Uint32Array.from(targetIds));
    await rt.submit('select test', (enc) => {
      kernels.encodeSelect(enc, scratch, { table, dist, rows, nq, k, passThrough: false, outIds, outDist });
      kernels.encodeRank(enc, scratch, { table, dist, targets, nq, ranks });
    });
    const ids = new Uint32Array(await rt.read(outIds, nq * k * 4));
    const rk = new Uint32Array(await rt.read(ranks, nq * 4));
    let ties = 0;
    for (let i = 0; i < nq; i++) {
      const ref = squaredDistancesReference(host, queries.subarray(i * stride));
      const top = topKReference(host, ref, k);
      if (new Set(top.map((v) => ref[v])).size < k) ties++;
      expect([...ids.subarray(i * k, (i + 1) * k)]).toEqual(top);
      expect(rk[i]).toBe(rankReference(host, ref, targetIds[i]));
    }
    expect(ties).toBeGreaterThan(10); // the test really exercised ties
    scratch.destroy();
    table.destroy();
  });
});

describe('Privatizer', () => {
  it('returns the input at η = ∞, passes non-candidates through, and agrees across chunk sizes', async () => {
    const rt = await testRuntime();
    const rand = testRandom(8);
    const vocab = 50;
    const host = makeEmbeddingTable(Float32Array.from({ length: vocab * 7 }, () => rand()), vocab, 7, { excluded: [{ ids: [0, 49], reason: 'test' }] });
    const table = new DeviceEmbeddingTable(rt, host);
    const rows = Array.from({ length: 23 }, (_, i) => ({ id: (i * 7) % vocab, example: i, position: i, draw: 0 }));
    const whole = await Privatizer.create(rt, table);
    const clean = await whole.privatize(rows, { invEta: 0, seed: 1 });
    expect([...clean.ids]).toEqual(rows.map((r) => r.id));
    const noisy = await whole.privatize(rows, { invEta: 0.5, seed: 1, k: 3 });
    const chunked = await Privatizer.create(rt, table, 4);
    const noisyChunked = await chunked.privatize(rows, { invEta: 0.5, seed: 1, k: 3 });
    expect(noisyChunked.ids).toEqual(noisy.ids);
    expect(noisyChunked.radius).toEqual(noisy.radius);
    for (let i = 0; i < rows.length; i++) {
      if (rows[i].id === 0 || rows[i].id === 49) expect(noisy.ids[3 * i]).toBe(rows[i].id);
      else expect([0, 49]).not.toContain(noisy.ids[3 * i]);
    }
    expect([...noisy.ids].filter((v, i) => i % 3 === 0 && v !== rows[i / 3].id).length).toBeGreaterThan(5);
    // Overlapping calls (the explorer privatises while a sweep runs) take turns per chunk and stay correct.
    const [overlapA, overlapB] = await Promise.all([
      chunked.privatize(rows, { invEta: 0.5, seed: 1, k: 3 }),
      chunked.privatize(rows.slice(0, 9), { invEta: 0, seed: 1 }),
    ]);
    expect(overlapA.ids).toEqual(noisy.ids);
    expect([...overlapB.ids]).toEqual(rows.slice(0, 9).map((r) => r.id));
    const nb = await chunked.neighbours([3, 17], 4);
    expect(nb[0]).toBe(3);
    expect(nb[4]).toBe(17);
    const ranks = await chunked.ranks([{ query: 3, target: 3 }, { query: 3, target: nb[2] }]);
    expect([...ranks]).toEqual([0, 2]);
    whole.destroy();
    chunked.destroy();
    table.destroy();
  });
});
