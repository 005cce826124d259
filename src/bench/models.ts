// The encoders the forward benchmark runs, with their inputs:
//   use-lite   the bundled Universal Sentence Encoder Lite (real weights from /generated/models/use-lite/,
//              read as tests/gpu/useLiteEncoder.test.ts does, plus the raw graph for TF.js), fed windows of
//              `length` consecutive tokens of the demo corpus (imdb-sentences.json through the model's
//              own tokenizer), so every sentence has exactly `length` real tokens;
//   bert-base  a BERT-base-shaped encoder (bertBaseConfig) with seeded random weights as a BertWeights
//              object, fed random word-piece ids between [CLS] and [SEP].
// Random numbers come from the project's Philox streams (PhiloxStream, purpose benchTable), one substream
// per tensor, so a weight does not depend on which tensors were drawn before it.

import type { BertConfig } from '../model/bert/bertConfig';
import type { BertLayerWeights, BertWeights } from '../model/bert/bertWeights';
import { fetchJson } from '../model/fetchWithProgress';
import { parseWeightsManifest, readWeightsSync } from '../model/formats/tfjsWeights';
import { SentencePieceUnigramTokenizer, USE_LITE_TOKENIZER_OPTIONS, parseUnigramVocab } from '../model/tokenizer/sentencePieceUnigram';
import { useLiteWeights, type UseLiteWeights } from '../model/useLite/useLiteWeights';
import { PhiloxStream, uniformFromBits } from '../privacy/random/philox';
import { StreamPurpose } from '../privacy/random/streams';

const generated = `${import.meta.env.BASE_URL}generated/`;
const useLiteBase = `${generated}models/use-lite/`;

/** model.json as the TF.js converter writes it (only what the benchmark reads). */
export interface GraphModelJson {
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: unknown[] }[];
}

export interface UseLiteBundle {
  weights: UseLiteWeights;
  /** For tf.loadGraphModel(tf.io.fromMemory(…)): the topology, weight specs and shards back to back. */
  graph: { modelJson: GraphModelJson; weightData: ArrayBuffer };
  /** Token ids of the demo corpus, sentence after sentence. */
  corpusTokens: number[];
}

function concat(buffers: ArrayBuffer[]): ArrayBuffer {
  const out = new Uint8Array(buffers.reduce((s, b) => s + b.byteLength, 0));
  let o = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), o);
    o += b.byteLength;
  }
  return out.buffer;
}

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

/** The bundled USE-Lite: weights, raw graph and at least `tokens` corpus token ids. */
export async function loadUseLiteBundle(tokens: number): Promise<UseLiteBundle> {
  const modelJson = (await fetchJson(`${useLiteBase}model.json`, () => {})) as GraphModelJson;
  const manifest = parseWeightsManifest(modelJson);
  const shards = await Promise.all(manifest.groups.flatMap((g) => g.paths.map((p) => fetchBytes(`${useLiteBase}${p}`))));
  const weights = useLiteWeights(readWeightsSync(manifest, shards));
  const tokenizer = new SentencePieceUnigramTokenizer(parseUnigramVocab(await fetchJson(`${useLiteBase}vocab.json`, () => {})), USE_LITE_TOKENIZER_OPTIONS);
  const corpus = (await fetchJson(`${generated}data/imdb-sentences.json`, () => {})) as { items: { text: string }[] };
  const corpusTokens: number[] = [];
  for (const item of corpus.items) {
    if (corpusTokens.length >= tokens) break;
    corpusTokens.push(...tokenizer.encode(item.text));
  }
  if (corpusTokens.length < tokens) throw new Error(`the demo corpus has only ${corpusTokens.length} tokens, the benchmark wants ${tokens}`);
  return { weights, graph: { modelJson, weightData: concat(shards) }, corpusTokens };
}

/** `batch` windows of `length` consecutive corpus tokens. */
export function corpusBatch(bundle: UseLiteBundle, batch: number, length: number): number[][] {
  return Array.from({ length: batch }, (_, s) => bundle.corpusTokens.slice(s * length, (s + 1) * length));
}

/** BERT-base (Devlin et al. 2019, bert-base-uncased's config.json) with `layers` encoder layers. */
export function bertBaseConfig(layers: number): BertConfig {
  return {
    modelType: 'bert',
    architectures: ['BertModel'],
    vocabSize: 30522,
    hiddenSize: 768,
    numHiddenLayers: layers,
    numAttentionHeads: 12,
    headDim: 64,
    intermediateSize: 3072,
    hiddenAct: 'gelu',
    maxPositionEmbeddings: 512,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
    padTokenId: 0,
    tieWordEmbeddings: true,
  };
}

/**
 * Uniform values with standard deviation `std` around `mean` (U(mean − √3·std, mean + √3·std)), one Philox
 * u32 each — uniform rather than normal because a BERT-base draws 110 M of them and the forward pass's
 * cost does not depend on the distribution.
 */
export function uniformTensor(length: number, seed: number, substream: number, std: number, mean = 0): Float32Array {
  const stream = new PhiloxStream(seed, StreamPurpose.benchTable, substream);
  const half = Math.sqrt(3) * std;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = mean + half * (2 * uniformFromBits(stream.nextU32()) - 1);
  return out;
}

/** Substreams of the benchTable purpose: 0 is the BERT-sized privatisation table (tables.ts). */
export const BenchSubstream = { matmulA: 1, matmulB: 2, bertIds: 3, matmulCheck: 4, bertWeights: 0x10000 } as const;

/**
 * A BertWeights object for `config` with seeded random values: weights, biases and embeddings with
 * standard deviation 0.02 (BERT's initialiser range), LayerNorm γ around 1 and β around 0 (std 0.02, so a
 * transposed or misplaced γ would show in a comparison). No MLM head, no pooler.
 */
export function randomBertWeights(config: BertConfig, seed: number): BertWeights {
  const { hiddenSize: h, intermediateSize: inner } = config;
  let tensor = 0;
  const draw = (length: number, mean = 0) => uniformTensor(length, seed, BenchSubstream.bertWeights + tensor++, 0.02, mean);
  const ln = () => ({ gamma: draw(h, 1), beta: draw(h) });
  const wordEmbeddings = draw(config.vocabSize * h);
  const positionEmbeddings = draw(config.maxPositionEmbeddings * h);
  const tokenTypeEmbeddings = draw(config.typeVocabSize * h);
  const embeddingLn = ln();
  const layers = Array.from({ length: config.numHiddenLayers }, (): BertLayerWeights => ({
    qkvWeight: draw(h * 3 * h),
    qkvBias: draw(3 * h),
    attentionOutWeight: draw(h * h),
    attentionOutBias: draw(h),
    attentionLn: ln(),
    intermediateWeight: draw(h * inner),
    intermediateBias: draw(inner),
    outputWeight: draw(inner * h),
    outputBias: draw(h),
    outputLn: ln(),
  }));
  const parameterCount =
    wordEmbeddings.length + positionEmbeddings.length + tokenTypeEmbeddings.length + 2 * h +
    config.numHiddenLayers * (3 * h * h + 3 * h + h * h + h + 2 * h + 2 * h * inner + inner + h + 2 * h);
  return {
    config,
    wordEmbeddings,
    positionEmbeddings,
    tokenTypeEmbeddings,
    embeddingLn,
    layers,
    mlmHead: null,
    pooler: null,
    parameterCount,
    ignoredTensors: [],
    notes: [`seeded random weights (Philox seed ${seed}), not a trained checkpoint`],
  };
}

/** BERT's [CLS] and [SEP] ids (bert-base-uncased); word pieces are drawn from ids ≥ 999 as in tables.ts. */
const CLS = 101;
const SEP = 102;
const FIRST_WORD = 999;

/** `batch` sequences of exactly `length` ids: [CLS] random word pieces [SEP]. */
export function randomBertIds(config: BertConfig, batch: number, length: number, seed: number): number[][] {
  const stream = new PhiloxStream(seed, StreamPurpose.benchTable, BenchSubstream.bertIds);
  return Array.from({ length: batch }, () =>
    Array.from({ length }, (_, p) => (p === 0 ? CLS : p === length - 1 ? SEP : FIRST_WORD + stream.nextInt(config.vocabSize - FIRST_WORD))),
  );
}

