// Prompt tuning's trainable soft prompt P ∈ R^{N×d} (rapt-method.md §3), initialised from the embeddings
// of N vocabulary tokens (the usual "sampled vocabulary" initialisation). The trainer prepends P to the
// input rows: for USE-Lite, whose layer-0 inputs are 2·E[id], it passes scale = 2 so the initial prompt
// rows look exactly like the rows of real tokens.

import { PhiloxStream } from '../privacy/random/philox';
import { StreamPurpose } from '../privacy/random/streams';
import { drawDistinctIndices } from '../training/batching';

/**
 * Parameter-efficient fine-tuning methods the trainer knows. Only prompt tuning for now; a new method
 * (prefix tuning, LoRA, ...) adds its name here and its own initialiser next to this file.
 */
export type PeftMethod = 'prompt-tuning';

export const PEFT_METHODS: readonly PeftMethod[] = ['prompt-tuning'];

/** A dense embedding table: row v of `data` starts at v · stride (stride defaults to dim). */
export interface DenseEmbeddings {
  data: Float32Array;
  vocabSize: number;
  dim: number;
  /** Floats between row starts; EmbeddingTable.rows has stride dimVec4 · 4. */
  stride?: number;
}

/**
 * N distinct token ids from `candidates` (the model's privatisation candidates — candidateIdsOf in
 * rapt/plainTokens.ts — so no special token), uniformly without replacement, from
 * PhiloxStream(seed, StreamPurpose.softPromptInit). Deterministic in (seed, N, candidates).
 */
export function softPromptInitIds(seed: number, n: number, candidates: Uint32Array | readonly number[]): Uint32Array {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`the soft prompt needs at least one row, got N = ${n}`);
  const seen = new Set<number>();
  for (let i = 0; i < candidates.length; i++) {
    const id = candidates[i];
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff || seen.has(id)) throw new RangeError(`candidates[${i}] = ${id} is not a distinct token id`);
    seen.add(id);
  }
  if (n > candidates.length) throw new RangeError(`cannot choose ${n} distinct tokens from ${candidates.length} candidates`);
  return drawDistinctIndices(new PhiloxStream(seed, StreamPurpose.softPromptInit), n, candidates.length).map((i) => candidates[i]);
}

/** The initial soft prompt, [N, dim] row-major: row p = scale · E[ids[p]]. */
export function initialSoftPrompt(table: DenseEmbeddings, ids: ArrayLike<number>, scale: number): Float32Array {
  const { data, vocabSize, dim } = table;
  const stride = table.stride ?? dim;
  if (!Number.isInteger(dim) || dim < 1 || !Number.isInteger(stride) || stride < dim) throw new RangeError(`bad table shape: dim ${dim}, stride ${stride}`);
  if (data.length < (vocabSize - 1) * stride + dim) throw new RangeError(`table has ${data.length} floats, too few for ${vocabSize} rows of stride ${stride}`);
  if (!Number.isFinite(scale)) throw new RangeError(`scale must be finite, got ${scale}`);
  const out = new Float32Array(ids.length * dim);
  for (let p = 0; p < ids.length; p++) {
    const id = ids[p];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new RangeError(`ids[${p}] = ${id} is outside the table (${vocabSize} rows)`);
    for (let j = 0; j < dim; j++) out[p * dim + j] = scale * data[id * stride + j];
  }
  return out;
}
