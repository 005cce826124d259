// The two embedding tables the benchmark privatises over, with the token rows it feeds them:
//   use-lite  the bundled Universal Sentence Encoder Lite table (8002 × 256, real weights), token ids from
//             the bundled demo corpus (IMDB sentences) run through the model's own tokenizer;
//   bert-size a BERT-base-sized table (30522 × 768) of seeded random values, random candidate token ids.

import { loadUseLite } from '../model/bundled/useLite';
import { makeEmbeddingTable, type EmbeddingTable } from '../model/embeddingTable';
import { fetchJson } from '../model/fetchWithProgress';
import type { TokenRow } from '../privacy/tokenRows';
import { PhiloxStream } from '../privacy/random/philox';
import { StreamPurpose } from '../privacy/random/streams';

export interface BenchTable {
  /** Short name used in the printed table and JSON. */
  name: string;
  source: string;
  host: EmbeddingTable;
  /** At least as many rows as the largest batch; batches take a prefix. */
  tokens: TokenRow[];
  /** η used for every privatisation of this table (throughput barely depends on it). */
  eta: number;
}

export const tableLabel = (t: BenchTable) => `${t.name} ${t.host.vocabSize}×${t.host.dim}`;

const generated = `${import.meta.env.BASE_URL}generated/`;

/** The bundled USE-Lite table and the first `count` tokens of the demo corpus. */
export async function loadBundledTable(count: number): Promise<BenchTable> {
  const model = await loadUseLite(`${generated}models/use-lite/`, () => {});
  const corpus = (await fetchJson(`${generated}data/imdb-sentences.json`, () => {})) as { items: { text: string }[] };
  const tokens: TokenRow[] = [];
  for (let example = 0; example < corpus.items.length && tokens.length < count; example++) {
    const { ids } = model.tokenizer.encodeWithOffsets(corpus.items[example].text);
    ids.forEach((id, position) => tokens.push({ id, example, position, draw: 0 }));
  }
  if (tokens.length < count) throw new Error(`the demo corpus has only ${tokens.length} tokens, the benchmark wants ${count}`);
  return {
    name: 'use-lite',
    source: `${model.info.name} token embeddings (bundled); tokens of the demo corpus imdb-sentences.json`,
    host: model.table,
    tokens: tokens.slice(0, count),
    eta: 25,
  };
}

export const BERT_VOCAB = 30522;
export const BERT_DIM = 768;
/** As in BERT's vocabulary: [PAD], [unused…], [UNK], [CLS], [SEP], [MASK] sit below id 999. */
const BERT_FIRST_WORD = 999;

/**
 * A BERT-base-sized table: 30522 × 768 normals with standard deviation 0.05 (about the spread of BERT's
 * trained word embeddings), from a seeded generator; ids below 999 are not candidates, as in BERT.
 */
export function makeBertSizedTable(count: number, seed = 2305): BenchTable {
  const stream = new PhiloxStream(seed, StreamPurpose.benchTable);
  const random = () => stream.nextFloat();
  const data = new Float32Array(BERT_VOCAB * BERT_DIM);
  for (let i = 0; i < data.length; i += 2) {
    // Box–Muller: two normals per pair of uniforms (1 − u keeps the log argument in (0, 1]).
    const r = 0.05 * Math.sqrt(-2 * Math.log(1 - random()));
    const a = 2 * Math.PI * random();
    data[i] = r * Math.cos(a);
    data[i + 1] = r * Math.sin(a);
  }
  const host = makeEmbeddingTable(data, BERT_VOCAB, BERT_DIM, {
    excluded: [{ ids: Array.from({ length: BERT_FIRST_WORD }, (_, i) => i), reason: 'special and unused ids, as in BERT' }],
  });
  const tokens: TokenRow[] = [];
  for (let i = 0; i < count; i++) {
    const id = BERT_FIRST_WORD + Math.floor(random() * (BERT_VOCAB - BERT_FIRST_WORD));
    tokens.push({ id, example: i >> 5, position: i & 31, draw: 0 });
  }
  return {
    name: 'bert-size',
    source: `seeded random N(0, 0.05²) values (Philox seed ${seed}); random candidate token ids`,
    host,
    tokens,
    eta: 100,
  };
}

export const candidateCount = (t: EmbeddingTable): number => t.candidate.reduce((a, b) => a + b, 0);
