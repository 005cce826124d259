// A tiny random BERT (BertForMaskedLM shape: vocabulary 30, hidden 12, 2 layers of 2 heads of width 6,
// intermediate 18, 32 positions, 2 token types, tied MLM decoder) and random trainable parameters for it:
// small enough for finite-difference checks of the f64 BERT training reference, and with sizes that are
// not multiples of 4 so the GPU trainer test also runs the unaligned kernels. Deterministic in the seed.
// Special ids as in tests/fixtures/tiny-bert: [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4.

import type { BertConfig, BertHiddenAct } from '../../model/bert/bertConfig';
import type { BertLayerWeights, BertWeights, LayerNormWeights } from '../../model/bert/bertWeights';
import { seededUniform } from './tinyUseLite';
import type { TrainableParams } from './useLiteTrainingReference';

export const TINY_BERT = { vocabSize: 30, hidden: 12, layers: 2, heads: 2, intermediate: 18, maxPositions: 32, typeVocab: 2 } as const;

export const TINY_BERT_SPECIAL_IDS = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 } as const;

export function tinyBertConfig(hiddenAct: BertHiddenAct = 'gelu'): BertConfig {
  const { vocabSize, hidden, layers, heads, intermediate, maxPositions, typeVocab } = TINY_BERT;
  return {
    modelType: 'bert',
    architectures: ['BertForMaskedLM'],
    vocabSize,
    hiddenSize: hidden,
    numHiddenLayers: layers,
    numAttentionHeads: heads,
    headDim: hidden / heads,
    intermediateSize: intermediate,
    hiddenAct,
    maxPositionEmbeddings: maxPositions,
    typeVocabSize: typeVocab,
    layerNormEps: 1e-12,
    padTokenId: 0,
    tieWordEmbeddings: true,
  };
}

/** Random BertWeights (f32 values) with an MLM head whose decoder is tied to the word embeddings. */
export function tinyBertWeights(seed = 1, hiddenAct: BertHiddenAct = 'gelu'): BertWeights {
  const rand = seededUniform(seed);
  const uniform = (size: number, a: number, offset = 0) => Float32Array.from({ length: size }, () => offset + a * (2 * rand() - 1));
  const config = tinyBertConfig(hiddenAct);
  const { vocabSize: V, hiddenSize: h, intermediateSize: I } = config;
  const ln = (): LayerNormWeights => ({ gamma: uniform(h, 0.2, 1), beta: uniform(h, 0.1) });
  // Weights [in, out] ~ U(±√(3/in)): variance 1/in keeps activations O(1).
  const linear = (inputs: number, outputs: number) => uniform(inputs * outputs, Math.sqrt(3 / inputs));
  const layers: BertLayerWeights[] = Array.from({ length: config.numHiddenLayers }, () => ({
    qkvWeight: linear(h, 3 * h),
    qkvBias: uniform(3 * h, 0.1),
    attentionOutWeight: linear(h, h),
    attentionOutBias: uniform(h, 0.1),
    attentionLn: ln(),
    intermediateWeight: linear(h, I),
    intermediateBias: uniform(I, 0.1),
    outputWeight: linear(I, h),
    outputBias: uniform(h, 0.1),
    outputLn: ln(),
  }));
  const weights: Omit<BertWeights, 'parameterCount'> = {
    config,
    wordEmbeddings: uniform(V * h, 1),
    positionEmbeddings: uniform(config.maxPositionEmbeddings * h, 0.5),
    tokenTypeEmbeddings: uniform(config.typeVocabSize * h, 0.5),
    embeddingLn: ln(),
    layers,
    mlmHead: { transformWeight: linear(h, h), transformBias: uniform(h, 0.1), ln: ln(), decoderBias: uniform(V, 0.1), decoderWeight: null },
    pooler: null,
    ignoredTensors: [],
    notes: [],
  };
  return { ...weights, parameterCount: 0 };
}

/**
 * Random f64 trainable parameters for a BERT of hidden size `hidden`: prompt [N, hidden] ~ U(±1); for the
 * classifier head the task head [hidden, classes] and bias ~ U(±0.5) (the verbaliser has none: empty);
 * with recRank and recVocab, W2 [hidden, recRank] and W1 [recRank, recVocab] ~ U(±0.5).
 */
export function tinyBertTrainableParams(
  hidden: number,
  shape: { promptLength: number; classes: number; head: 'classifier' | 'verbaliser'; recRank?: number; recVocab?: number },
  seed = 2,
): TrainableParams {
  const rand = seededUniform(seed);
  const uniform = (size: number, a: number) => Float64Array.from({ length: size }, () => a * (2 * rand() - 1));
  const classifier = shape.head === 'classifier';
  const params: TrainableParams = {
    prompt: uniform(shape.promptLength * hidden, 1),
    taskW: classifier ? uniform(hidden * shape.classes, 0.5) : new Float64Array(0),
    taskB: classifier ? uniform(shape.classes, 0.5) : new Float64Array(0),
  };
  if (shape.recRank && shape.recVocab) {
    params.recW2 = uniform(hidden * shape.recRank, 0.5);
    params.recW1 = uniform(shape.recRank * shape.recVocab, 0.5);
  }
  return params;
}
