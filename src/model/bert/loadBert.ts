// Loads a BERT-family checkpoint from any model file source (Hugging Face Hub, a local folder): resolves
// which files it needs, downloads them all or nothing, validates config, weights and tokenizer, and builds
// what the engine needs — tokenizer, privatisation table with its candidate policy, attacker prior, and the
// weights for the forward pass. Nothing is half-loaded: any problem throws before anything is returned.

import { makeEmbeddingTable, type CandidatePolicy } from '../embeddingTable';
import { readSafetensors } from '../formats/safetensors';
import { ModelLoadError } from '../fetchWithProgress';
import type { LoadedModel, LoadProgress } from '../loadedModel';
import { downloadAll } from '../sources/downloadAll';
import type { ModelFileSource } from '../sources/modelFileSource';
import { bertFileList, resolveBertFiles } from '../sources/requiredFiles';
import { wordPieceFromTokenizerJson, wordPieceFromVocabTxt, type WordPieceTokenizer } from '../tokenizer/wordPiece';
import { parseBertConfig } from './bertConfig';
import { isBertTensorUsed, mapBertWeights, type NamedTensor } from './bertWeights';

const text = (bytes: ArrayBuffer) => new TextDecoder().decode(bytes);

function json(bytes: ArrayBuffer, file: string): unknown {
  try {
    return JSON.parse(text(bytes));
  } catch (e) {
    throw new ModelLoadError(`${file} is not valid JSON (${(e as Error).message}).`);
  }
}

/**
 * Never privatisation outputs: the tokenizer's special tokens, reserved `[unused…]` slots and any other
 * bracketed control token, and embedding rows past the tokenizer's vocabulary (padding rows some
 * checkpoints add to round the table size).
 */
export function bertCandidatePolicy(tokenizer: WordPieceTokenizer, tableRows: number): CandidatePolicy {
  const s = tokenizer.specialIds;
  const reserved: number[] = [];
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    const piece = tokenizer.pieceOf(id);
    if (tokenizer.isSpecial(id) || /^\[[^\]]+\]$/.test(piece)) reserved.push(id);
  }
  const extra = Array.from({ length: Math.max(0, tableRows - tokenizer.vocabSize) }, (_, i) => tokenizer.vocabSize + i);
  return {
    excluded: [
      { ids: [s.pad, s.unk, s.cls, s.sep, s.mask], reason: 'special tokens [PAD] [UNK] [CLS] [SEP] [MASK]' },
      { ids: reserved.filter((id) => ![s.pad, s.unk, s.cls, s.sep, s.mask].includes(id)), reason: 'reserved or control tokens ([unused…] and other bracketed tokens)' },
      ...(extra.length > 0 ? [{ ids: extra, reason: 'embedding rows beyond the tokenizer vocabulary' }] : []),
    ],
  };
}

/**
 * The attacker's prior: token frequencies in public text (the bundled IMDB sentences), add-one smoothed over
 * candidates — what a realistic attacker can estimate without the user's data.
 */
export function frequencyLogPrior(tokenizer: WordPieceTokenizer, candidate: Uint8Array, publicText: readonly string[]): Float64Array {
  const counts = new Float64Array(candidate.length);
  for (const t of publicText) for (const id of tokenizer.encode(t, { addSpecialTokens: false })) if (id < counts.length) counts[id]++;
  let total = 0;
  for (let id = 0; id < counts.length; id++) if (candidate[id]) total += counts[id] + 1;
  const prior = new Float64Array(candidate.length).fill(-Infinity);
  for (let id = 0; id < counts.length; id++) if (candidate[id]) prior[id] = Math.log((counts[id] + 1) / total);
  return prior;
}

export async function loadBert(
  source: ModelFileSource,
  onProgress: (p: LoadProgress) => void,
  publicText: readonly string[],
  signal?: AbortSignal,
): Promise<LoadedModel> {
  onProgress({ stage: 'listing files', loadedBytes: 0, totalBytes: 0 });
  const files = await resolveBertFiles(source, signal);
  const bytes = await downloadAll(
    source,
    bertFileList(files),
    (p) => onProgress({ stage: `downloading ${p.file} (${p.filesDone}/${p.filesTotal} files)`, loadedBytes: p.loadedBytes, totalBytes: p.totalBytes ?? 0 }),
    signal ? { signal } : {},
  );
  const file = (name: string) => {
    const b = bytes.get(name);
    if (!b) throw new ModelLoadError(`${name} was not downloaded.`);
    return b;
  };
  onProgress({ stage: 'checking weights', loadedBytes: 0, totalBytes: 0 });
  const config = parseBertConfig(json(file(files.config), files.config));
  const tensors = new Map<string, NamedTensor>();
  for (const w of files.weights) for (const [name, t] of readSafetensors(file(w), { only: isBertTensorUsed })) tensors.set(name, t);
  const weights = mapBertWeights(config, tensors);
  const tokenizerConfig = files.tokenizerConfig ? json(file(files.tokenizerConfig), files.tokenizerConfig) : undefined;
  const tokenizer =
    files.tokenizer === 'tokenizer.json'
      ? wordPieceFromTokenizerJson(json(file(files.tokenizer), files.tokenizer), { tokenizerConfig })
      : wordPieceFromVocabTxt(text(file(files.tokenizer)), { tokenizerConfig });
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new ModelLoadError(`The tokenizer has ${tokenizer.vocabSize} tokens but the model only ${config.vocabSize} embedding rows; the files do not belong together.`);
  }
  const table = makeEmbeddingTable(weights.wordEmbeddings, config.vocabSize, config.hiddenSize, bertCandidatePolicy(tokenizer, config.vocabSize));
  const candidateCount = table.candidate.reduce((a, b) => a + b, 0);
  return {
    info: {
      id: source.label,
      name: source.label,
      source: source.label,
      license: 'see the model card',
      vocabSize: config.vocabSize,
      embeddingDim: config.hiddenSize,
      candidateCount,
      excluded: table.excluded,
      priorSource: 'token frequencies in the bundled IMDB sentences (public text), add-one smoothed',
      architecture: {
        kind: 'bert',
        description: `BERT encoder (${config.architectures.join(', ') || 'BertModel'}): ${config.numHiddenLayers} layers, hidden ${config.hiddenSize}, ${config.numAttentionHeads} heads, ${config.hiddenAct} feed-forward ${config.intermediateSize}`,
        layers: config.numHiddenLayers,
        hiddenSize: config.hiddenSize,
        heads: config.numAttentionHeads,
        maxPositions: config.maxPositionEmbeddings,
        parameterCount: weights.parameterCount,
        hasMlmHead: weights.mlmHead !== null,
        sentenceVector: `mean of the last hidden states over real tokens (${config.hiddenSize}-d)`,
      },
      gpuBytes: 0,
    },
    tokenizer,
    table,
    logPrior: frequencyLogPrior(tokenizer, table.candidate, publicText),
    architecture: { kind: 'bert', weights },
  };
}
