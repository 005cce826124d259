// A token-embedding table as the privacy mechanism sees it: rows of the model's stored table E (η is
// defined on E itself, rapt-method.md §2), zero-padded to a multiple of 4 lanes so kernels read vec4s, plus
// the candidate mask — which ids may ever be the output of privatisation.

export interface EmbeddingTable {
  vocabSize: number;
  dim: number;
  /** dim rounded up to a multiple of 4, divided by 4. */
  dimVec4: number;
  /** vocabSize × dimVec4 × 4 floats, padding lanes zero. */
  rows: Float32Array<ArrayBuffer>;
  /** 1 where the id may be an output of privatisation (see candidatePolicy). */
  candidate: Uint8Array;
  /** Why each excluded id is excluded, for the UI and the README. */
  excluded: { ids: number[]; reason: string }[];
}

export interface CandidatePolicy {
  /** Groups of ids that are never candidates, each with the reason shown to users. */
  excluded: { ids: number[]; reason: string }[];
}

export function makeEmbeddingTable(data: Float32Array, vocabSize: number, dim: number, policy: CandidatePolicy): EmbeddingTable {
  if (!Number.isInteger(vocabSize) || !Number.isInteger(dim) || vocabSize < 1 || dim < 1) {
    throw new RangeError(`embedding table shape must be positive integers, got ${vocabSize} × ${dim}`);
  }
  if (data.length !== vocabSize * dim) {
    throw new RangeError(`embedding table has ${data.length} values, expected ${vocabSize} × ${dim} = ${vocabSize * dim}`);
  }
  const dimVec4 = Math.ceil(dim / 4);
  const stride = dimVec4 * 4;
  const rows = new Float32Array(vocabSize * stride);
  for (let v = 0; v < vocabSize; v++) rows.set(data.subarray(v * dim, (v + 1) * dim), v * stride);
  const candidate = new Uint8Array(vocabSize).fill(1);
  for (const group of policy.excluded) {
    for (const id of group.ids) if (id >= 0 && id < vocabSize) candidate[id] = 0;
  }
  if (!candidate.includes(1)) throw new RangeError('the candidate policy excludes every token');
  return { vocabSize, dim, dimVec4, rows, candidate, excluded: policy.excluded };
}

/** Row v of the table (padding included) as a view. */
export const tableRow = (t: EmbeddingTable, v: number): Float32Array =>
  t.rows.subarray(v * t.dimVec4 * 4, (v + 1) * t.dimVec4 * 4);

/** Euclidean distance between two rows, in double precision. */
export function rowDistance(t: EmbeddingTable, a: number, b: number): number {
  const stride = t.dimVec4 * 4;
  let s = 0;
  for (let i = 0; i < t.dim; i++) {
    const d = t.rows[a * stride + i] - t.rows[b * stride + i];
    s += d * d;
  }
  return Math.sqrt(s);
}
