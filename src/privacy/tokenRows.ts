// A token occurrence to privatise. Its noise is a pure function of (seed, example, position, draw), so the
// same seed privatises the same text identically however the work is batched or ordered.

export interface TokenRow {
  /** Vocabulary id of the original token. */
  id: number;
  /** Index of the example (sentence) in its dataset. */
  example: number;
  /** Position of the token in the example. */
  position: number;
  /** Monte-Carlo replicate: 0 for the privatisation a user sends, 1.. for statistics and attacks. */
  draw: number;
}

/** Packs rows as the kernels read them: vec4<u32>(id, example, position, draw). */
export function packTokenRows(rows: readonly TokenRow[], vocabSize: number): Uint32Array<ArrayBuffer> {
  const packed = new Uint32Array(rows.length * 4);
  rows.forEach((r, i) => {
    for (const [name, value] of Object.entries(r)) {
      if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`token row ${i}: ${name} = ${value} is not a u32`);
    }
    if (r.id >= vocabSize) throw new RangeError(`token row ${i}: id ${r.id} is outside the vocabulary (size ${vocabSize})`);
    packed[4 * i] = r.id;
    packed[4 * i + 1] = r.example;
    packed[4 * i + 2] = r.position;
    packed[4 * i + 3] = r.draw;
  });
  return packed;
}
