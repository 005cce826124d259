// Embedding lookup in double precision: the reference for shaders/transformer/embedding.wgsl.

export interface EmbeddingReferenceInput {
  ids: Uint32Array;
  table: Float32Array;
  positions: Float32Array;
  typeIds?: Uint32Array;
  typeTable?: Float32Array;
  seqLen: number;
  hidden: number;
  scale: number;
}

export function embeddingReference(x: EmbeddingReferenceInput): Float64Array {
  const { ids, table, positions, seqLen, hidden, scale } = x;
  const vocab = table.length / hidden;
  const out = new Float64Array(ids.length * hidden);
  for (let r = 0; r < ids.length; r++) {
    const word = Math.min(ids[r], vocab - 1);
    const pos = r % seqLen;
    for (let c = 0; c < hidden; c++) {
      let v = scale * table[word * hidden + c] + positions[pos * hidden + c];
      if (x.typeIds && x.typeTable) v += x.typeTable[Math.min(x.typeIds[r], x.typeTable.length / hidden - 1) * hidden + c];
      out[r * hidden + c] = v;
    }
  }
  return out;
}
