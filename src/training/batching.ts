// The order in which the trainer sees examples (rapt-method.md §3–4; docs/training-design.md). Everything
// here is a pure function of its arguments and a seed: PhiloxStream draws with purpose tags from
// src/privacy/random/streams.ts, so one seed reproduces a run and no two uses of a seed share numbers.

import { PhiloxStream } from '../privacy/random/philox';
import { StreamPurpose } from '../privacy/random/streams';

/**
 * How many shuffled examples are sorted by length together, in batches: larger pools mean less padding
 * but batches whose lengths (and so whose examples) are less random. 50 batches per pool keeps padding
 * small on sentence-length data while every batch still mixes examples from all over the epoch's order.
 */
export const LENGTH_POOL_BATCHES = 50;

function checkLengths(lengths: readonly number[]): void {
  lengths.forEach((length, i) => {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`lengths[${i}] = ${length} is not a non-negative integer`);
  });
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
}

function checkCounter(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`${name} must be an integer in [0, 2^32), got ${value}`);
}

/** Cuts `order` into consecutive batches of `batchSize` (the last one may be shorter). */
function cut(order: readonly number[], batchSize: number): number[][] {
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += batchSize) batches.push(order.slice(start, start + batchSize));
  return batches;
}

/**
 * `count` distinct integers from [0, n), uniformly, by a partial Fisher–Yates shuffle over a virtual array
 * (a Map holds only the swapped slots, so the cost is O(count) whatever n is). The result is in draw order;
 * its first k entries are exactly what the same stream gives for count = k (prefix property).
 */
export function drawDistinctIndices(stream: PhiloxStream, count: number, n: number): Uint32Array {
  if (!Number.isInteger(n) || n < 0 || n > 0x100000000) throw new RangeError(`population size must be an integer in [0, 2^32], got ${n}`);
  if (!Number.isInteger(count) || count < 0 || count > n) throw new RangeError(`cannot draw ${count} distinct values from ${n}`);
  const swapped = new Map<number, number>();
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const j = i + stream.nextInt(n - i);
    const atI = swapped.get(i) ?? i;
    out[i] = swapped.get(j) ?? j;
    swapped.set(j, atI);
    swapped.delete(i);
  }
  return out;
}

/**
 * The batches of one training epoch, as lists of example indices into `lengths` (token counts, used only
 * to group similar lengths so padding is small). Every example appears exactly once per epoch.
 *
 * 1. Shuffle all indices with PhiloxStream(seed, trainShuffle, substream = epoch) — the epoch is part of
 *    the Philox counter, so each epoch has its own order.
 * 2. Split the shuffled order into pools of LENGTH_POOL_BATCHES · batchSize examples; sort each pool by
 *    length (stable: ties keep their shuffled order) and cut it into batches of batchSize.
 * 3. Shuffle the list of batches (same stream), so short and long batches are spread over the epoch.
 *
 * Only the batch from the end of the last pool can be shorter than batchSize. Deterministic in
 * (lengths, batchSize, seed, epoch).
 */
export function trainingBatches(lengths: readonly number[], batchSize: number, seed: number, epoch: number): number[][] {
  checkLengths(lengths);
  checkBatchSize(batchSize);
  checkCounter('epoch', epoch);
  const stream = new PhiloxStream(seed, StreamPurpose.trainShuffle, epoch);
  const order = stream.shuffle(Array.from(lengths, (_, i) => i));
  const pool = LENGTH_POOL_BATCHES * batchSize;
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += pool) {
    const sorted = order.slice(start, start + pool).sort((a, b) => lengths[a] - lengths[b]);
    batches.push(...cut(sorted, batchSize));
  }
  return stream.shuffle(batches);
}

/**
 * Evaluation batches: all indices sorted by length (ties by index) and cut into batches of batchSize.
 * No randomness; every example exactly once.
 */
export function evaluationBatches(lengths: readonly number[], batchSize: number): number[][] {
  checkLengths(lengths);
  checkBatchSize(batchSize);
  const order = Array.from(lengths, (_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
  return cut(order, batchSize);
}

/**
 * A seeded subset of `size` distinct indices from [0, n), in increasing order (PhiloxStream(seed,
 * trainSubset)). Subsets of one seed are nested: the subset of size k is contained in the subset of any
 * larger size, so learning curves over the training-set size add examples rather than redraw them.
 */
export function subsetIndices(n: number, size: number, seed: number): Uint32Array {
  return drawDistinctIndices(new PhiloxStream(seed, StreamPurpose.trainSubset), size, n).sort();
}
