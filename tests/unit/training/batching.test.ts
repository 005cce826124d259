import { describe, expect, it } from 'vitest';
import { PhiloxStream } from '../../../src/privacy/random/philox';
import { drawDistinctIndices, evaluationBatches, LENGTH_POOL_BATCHES, subsetIndices, trainingBatches } from '../../../src/training/batching';

/** Deterministic pseudo-random lengths 1..60. */
const lengthsOf = (n: number): number[] => Array.from({ length: n }, (_, i) => 1 + ((i * 7919 + 13) % 60));

const flat = (batches: number[][]): number[] => batches.flat();
const padding = (batches: number[][], lengths: number[]): number =>
  batches.reduce((s, b) => s + b.length * Math.max(...b.map((i) => lengths[i])) - b.reduce((t, i) => t + lengths[i], 0), 0);

describe('trainingBatches', () => {
  const lengths = lengthsOf(1003);

  it('contains every example exactly once per epoch, for several epochs and batch sizes', () => {
    for (const batchSize of [1, 7, 32, 2000]) {
      for (const epoch of [0, 1, 5]) {
        const batches = trainingBatches(lengths, batchSize, 2305, epoch);
        expect(flat(batches).sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
        expect(batches.every((b) => b.length >= 1 && b.length <= batchSize)).toBe(true);
        expect(batches.filter((b) => b.length < batchSize).length).toBeLessThanOrEqual(1);
      }
    }
  });

  it('is deterministic in (lengths, batchSize, seed, epoch)', () => {
    expect(trainingBatches(lengths, 16, 7, 3)).toEqual(trainingBatches(lengths, 16, 7, 3));
  });

  it('gives different orders for different epochs and seeds', () => {
    const a = flat(trainingBatches(lengths, 16, 7, 0));
    expect(flat(trainingBatches(lengths, 16, 7, 1))).not.toEqual(a);
    expect(flat(trainingBatches(lengths, 16, 8, 0))).not.toEqual(a);
  });

  it('groups similar lengths: padding far below that of a random order', () => {
    const batchSize = 16;
    const batches = trainingBatches(lengths, batchSize, 11, 0);
    const shuffled = new PhiloxStream(11, 999).shuffle(lengths.map((_, i) => i));
    const random: number[][] = [];
    for (let s = 0; s < shuffled.length; s += batchSize) random.push(shuffled.slice(s, s + batchSize));
    expect(padding(batches, lengths)).toBeLessThan(padding(random, lengths) / 5);
  });

  it('sorts within pools of LENGTH_POOL_BATCHES · batchSize but spreads batches over the epoch', () => {
    const batchSize = 4;
    const big = lengthsOf(LENGTH_POOL_BATCHES * batchSize * 3);
    const batches = trainingBatches(big, batchSize, 5, 0);
    for (const b of batches) for (let i = 1; i < b.length; i++) expect(big[b[i - 1]]).toBeLessThanOrEqual(big[b[i]]);
    // batch order is shuffled: batch max lengths are not monotone over the epoch
    const maxima = batches.map((b) => Math.max(...b.map((i) => big[i])));
    expect(maxima.some((v, i) => i > 0 && v < maxima[i - 1])).toBe(true);
  });

  it('handles empty input and rejects bad arguments', () => {
    expect(trainingBatches([], 4, 1, 0)).toEqual([]);
    expect(() => trainingBatches([1, 2], 0, 1, 0)).toThrow(RangeError);
    expect(() => trainingBatches([1, -2], 2, 1, 0)).toThrow(RangeError);
    expect(() => trainingBatches([1, 2], 2, -1, 0)).toThrow(RangeError);
    expect(() => trainingBatches([1, 2], 2, 1, 1.5)).toThrow(RangeError);
  });
});

describe('evaluationBatches', () => {
  it('sorts by length (ties by index), covers every example once, no randomness', () => {
    const lengths = [5, 3, 5, 1, 9, 3, 2];
    expect(evaluationBatches(lengths, 3)).toEqual([
      [3, 6, 1],
      [5, 0, 2],
      [4],
    ]);
    const many = lengthsOf(777);
    const batches = evaluationBatches(many, 10);
    expect(flat(batches).sort((a, b) => a - b)).toEqual(many.map((_, i) => i));
    expect(evaluationBatches(many, 10)).toEqual(batches);
  });
});

describe('subsetIndices', () => {
  it('draws distinct sorted indices, deterministically, nested across sizes', () => {
    const a = subsetIndices(67349, 1000, 42);
    expect(a.length).toBe(1000);
    expect(new Set(a).size).toBe(1000);
    expect([...a].every((v, i) => v < 67349 && (i === 0 || a[i - 1] < v))).toBe(true);
    expect(subsetIndices(67349, 1000, 42)).toEqual(a);
    expect(subsetIndices(67349, 1000, 43)).not.toEqual(a);
    const small = new Set(subsetIndices(67349, 100, 42));
    const large = new Set(subsetIndices(67349, 1000, 42));
    expect([...small].every((v) => large.has(v))).toBe(true);
  });

  it('takes everything when size = n, and rejects size > n', () => {
    expect([...subsetIndices(5, 5, 1)]).toEqual([0, 1, 2, 3, 4]);
    expect(subsetIndices(5, 0, 1).length).toBe(0);
    expect(() => subsetIndices(5, 6, 1)).toThrow(RangeError);
  });

  it('is uniform: every index about equally often over many seeds', () => {
    const counts = new Array(10).fill(0);
    for (let seed = 0; seed < 2000; seed++) for (const i of subsetIndices(10, 3, seed)) counts[i]++;
    for (const c of counts) expect(Math.abs(c - 600)).toBeLessThan(100); // mean 600, sd ≈ 20
  });
});

describe('drawDistinctIndices', () => {
  it('has the prefix property within one stream', () => {
    const long = drawDistinctIndices(new PhiloxStream(3, 77), 50, 1000);
    const short = drawDistinctIndices(new PhiloxStream(3, 77), 20, 1000);
    expect([...short]).toEqual([...long.subarray(0, 20)]);
    expect(new Set(long).size).toBe(50);
  });

  it('is a permutation when count = n', () => {
    const all = drawDistinctIndices(new PhiloxStream(3, 77), 100, 100);
    expect([...all].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
