// RAPT's plain tokens (rapt-method.md §4 step 1): a sequence k = [k_1..k_m] of vocabulary tokens that
// carry no private information. The user privatises [k; x] together; the service's reconstruction head
// must predict k_i from the output at position i. The plain tokens are public: the user sends the clean
// k with the privatised text, as the reconstruction targets.
//
// Plain tokens are drawn from the model's privatisation candidates (EmbeddingTable.candidate, set by the
// model's CandidatePolicy, e.g. useLiteCandidatePolicy): never the unknown piece, control or reserved ids,
// or spare rows — so a plain token is always something privatisation can output, and never a structural
// token that passes through unchanged.

import type { EmbeddingTable } from '../model/embeddingTable';
import { PhiloxStream } from '../privacy/random/philox';
import { StreamPurpose } from '../privacy/random/streams';
import { drawDistinctIndices } from '../training/batching';

export type CandidateIds = Uint32Array | readonly number[];

/**
 * The Philox substream (counter word 1) of the fixed sequence. Per-example sequences use substream =
 * example number, which is below ATTACKER_EXAMPLE_BASE + vocabulary size < 2^31, so the two never meet.
 */
const FIXED_SUBSTREAM = 0xffffffff;

/**
 * The candidate ids of a model, ascending: the ids i with table.candidate[i] = 1 (LoadedModel.table), the
 * same list privatisation snaps to. `below` keeps only ids < below (e.g. the reconstruction head's
 * vocabulary size |T| when it is smaller than the table).
 */
export function candidateIdsOf(table: Pick<EmbeddingTable, 'candidate'>, below = table.candidate.length): Uint32Array {
  const ids: number[] = [];
  const end = Math.min(below, table.candidate.length);
  for (let id = 0; id < end; id++) if (table.candidate[id]) ids.push(id);
  return Uint32Array.from(ids);
}

const checked = new WeakMap<object, Uint32Array>();

/**
 * The candidates as a Uint32Array after checking they are distinct non-negative u32 integers. The check
 * runs once per candidates object (cached), so per-example sampling stays O(m) per example.
 */
export function checkCandidateIds(candidates: CandidateIds): Uint32Array {
  const cached = checked.get(candidates);
  if (cached) return cached;
  const seen = new Set<number>();
  for (let i = 0; i < candidates.length; i++) {
    const id = candidates[i];
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new RangeError(`candidates[${i}] = ${id} is not a token id`);
    if (seen.has(id)) throw new RangeError(`candidates[${i}] = ${id} appears twice`);
    seen.add(id);
  }
  if (candidates.length === 0) throw new RangeError('no candidate tokens');
  const ids = Uint32Array.from(candidates);
  checked.set(candidates, ids);
  return ids;
}

function draw(stream: PhiloxStream, m: number, candidates: CandidateIds): Uint32Array {
  const ids = checkCandidateIds(candidates);
  if (!Number.isInteger(m) || m < 0) throw new RangeError(`the number of plain tokens must be a non-negative integer, got ${m}`);
  if (m > ids.length) throw new RangeError(`cannot choose ${m} distinct plain tokens from ${ids.length} candidates`);
  return drawDistinctIndices(stream, m, ids.length).map((i) => ids[i]);
}

/**
 * RAPT's plain tokens as in the paper: one fixed sequence of m distinct candidate tokens, chosen once per
 * run from PhiloxStream(seed, StreamPurpose.plainTokens). Sampling is uniform without replacement within
 * the sequence. Deterministic in (seed, m, candidates).
 */
export function choosePlainTokens(seed: number, m: number, candidates: CandidateIds): Uint32Array {
  return draw(new PhiloxStream(seed, StreamPurpose.plainTokens, FIXED_SUBSTREAM), m, candidates);
}

/**
 * OUR VARIANT, not the paper's: the plain tokens are resampled for every example — m distinct candidate
 * tokens from PhiloxStream(seed, StreamPurpose.plainTokens, substream = example), where `example` is the
 * example number used for its privatisation noise (userSide.ts: split base + index), so train, dev and
 * test examples all get different sequences. The tokens are public: the user sends them alongside the
 * privatised text as the reconstruction targets. The reconstruction task then cannot be solved by
 * memorising one fixed sequence per position.
 *
 * Privacy note: the seed of the plain tokens is effectively public (anyone can search for a seed that
 * reproduces the public tokens). Never use the privatisation seed here in a real deployment.
 */
export function plainTokensForExample(seed: number, example: number, m: number, candidates: CandidateIds): Uint32Array {
  if (!Number.isInteger(example) || example < 0 || example >= FIXED_SUBSTREAM) {
    throw new RangeError(`example must be an integer in [0, 2^32 − 1), got ${example}`);
  }
  return draw(new PhiloxStream(seed, StreamPurpose.plainTokens, example), m, candidates);
}
