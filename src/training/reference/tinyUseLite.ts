// A tiny random USE-Lite-shaped encoder (embedding dim 8, layer widths 8 → 16, 2 heads, FFN 24, vocabulary
// 50, 32 positions) and random trainable parameters for it: small enough for finite-difference checks of
// the f64 training reference and for GPU trainer tests. Deterministic in the seed. A valid UseLiteWeights
// (layer 0 carries the residual projection 8 → 16, layer 1 a plain residual at width 16).

import type { UseLiteLayerWeights, UseLiteWeights } from '../../model/useLite/useLiteWeights';
import type { TrainableParams } from './useLiteTrainingReference';

export const TINY_USE_LITE = { vocabSize: 50, embeddingDim: 8, hidden: 16, heads: 2, ffnWidth: 24, maxPositions: 32 } as const;

/** mulberry32: uniform in [0, 1). */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function tinyUseLiteWeights(seed = 1): UseLiteWeights {
  const rand = seededUniform(seed);
  // Uniform in [−a, a] rounded to f32 (UseLiteWeights holds Float32Array, as the real model).
  const uniform = (size: number, a: number, offset = 0) => Float32Array.from({ length: size }, () => offset + a * (2 * rand() - 1));
  const { vocabSize, embeddingDim, hidden, heads, ffnWidth, maxPositions } = TINY_USE_LITE;
  const layer = (inputWidth: number, projection: boolean): UseLiteLayerWeights => ({
    attentionLn: { gamma: uniform(inputWidth, 0.2, 1), beta: uniform(inputWidth, 0.1) },
    qkvWeight: uniform(inputWidth * 3 * inputWidth, Math.sqrt(3 / inputWidth)),
    qkvBias: uniform(3 * inputWidth, 0.1),
    queryScale: Math.fround(1 / Math.sqrt(inputWidth / heads)),
    attentionOutWeight: uniform(inputWidth * hidden, Math.sqrt(3 / inputWidth)),
    attentionOutBias: uniform(hidden, 0.1),
    residualProjection: projection ? { weight: uniform(inputWidth * hidden, Math.sqrt(3 / inputWidth)), bias: uniform(hidden, 0.1) } : null,
    ffnLn: { gamma: uniform(hidden, 0.2, 1), beta: uniform(hidden, 0.1) },
    ffnInWeight: uniform(hidden * ffnWidth, Math.sqrt(3 / hidden)),
    ffnInBias: uniform(ffnWidth, 0.1),
    ffnOutWeight: uniform(ffnWidth * hidden, Math.sqrt(3 / ffnWidth)),
    ffnOutBias: uniform(hidden, 0.1),
    inputWidth,
    hidden,
    heads,
    ffnWidth,
  });
  const half = embeddingDim / 2;
  return {
    embeddings: uniform(vocabSize * embeddingDim, 0.5),
    vocabSize,
    embeddingDim,
    timingInverse: Float32Array.from({ length: half }, (_, i) => 1e4 ** (-i / (half - 1))),
    layers: [layer(embeddingDim, true), layer(hidden, false)],
    outputWeight: uniform(hidden * hidden, Math.sqrt(3 / hidden)),
    outputBias: uniform(hidden, 0.1),
    maxPositions,
    heads,
  };
}

/**
 * Random f64 trainable parameters for `weights`: prompt [N, embeddingDim] ~ U(±1), task head
 * [hidden, classes] and bias, and, when recRank and recVocab are given, W2 [hidden, recRank] and
 * W1 [recRank, recVocab], all ~ U(±0.5).
 */
export function tinyTrainableParams(
  weights: UseLiteWeights,
  shape: { promptLength: number; classes: number; recRank?: number; recVocab?: number },
  seed = 2,
): TrainableParams {
  const rand = seededUniform(seed);
  const uniform = (size: number, a: number) => Float64Array.from({ length: size }, () => a * (2 * rand() - 1));
  const H = weights.layers[1].hidden;
  const params: TrainableParams = {
    prompt: uniform(shape.promptLength * weights.embeddingDim, 1),
    taskW: uniform(H * shape.classes, 0.5),
    taskB: uniform(shape.classes, 0.5),
  };
  if (shape.recRank && shape.recVocab) {
    params.recW2 = uniform(H * shape.recRank, 0.5);
    params.recW1 = uniform(shape.recRank * shape.recVocab, 0.5);
  }
  return params;
}
