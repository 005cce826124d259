// FLOPs of one prompt-tuning / RAPT training step on the frozen USE-Lite encoder (trainStepSetup.ts), for
// an "achieved GFLOP/s" column. Same convention as ../flops.ts: matrix products only, 2 FLOPs per
// multiply-accumulate; every row of the padded batch counts (R = batch·S rows, S the padded length —
// what every implementation computes; `usefulRowFraction` says how much of it is real tokens).
//
// Counted, with R = B·S, per encoder layer of input width w, hidden d, FFN width f (USE-Lite: 256→512 with
// a residual projection, then 512→512; f = 1536):
//   forward   encoder   2R·(w·3w + w·d [+ w·d residual projection, layer 0] + d·f + f·d)
//             attention 4·B·S²·w                              (q·kᵀ and softmax·v, all heads)
//             task head 2B·512·C                              (pooled·Wc)
//             rec head  2·Bm·(512·c + c·T)                    (g·W2, then ·W1; RAPT only)
//   backward  encoder   the same 2R·(…) again: one activation gradient dX = dY·Wᵀ per weight matmul (the
//                       frozen weights get no gradient), down to dX0 of every row (the prompt rows need it)
//             attention 8·B·S²·w                              (dP = dO·Vᵀ, dV = Pᵀ·dO, dQ = dS·K, dK = dSᵀ·Q)
//             task head 2B·C·512 (dpooled) + 2B·512·C (dWc)
//             rec head  2·Bm·(T·c + c·T) (dz = dlogits·W1ᵀ, dW1 = zᵀ·dlogits)
//                       + 2·Bm·(c·512 + 512·c) (dg = dz·W2ᵀ, dW2 = gᵀ·dz)
// So the encoder costs 2× its forward matmuls + 3× its forward attention, the heads 3× their forward.
// Not counted: embedding gather, timing add, LayerNorm and its backward, softmax and its backward,
// ReLU, residual adds, pooling, cross-entropy, the bias gradient, the gradient norm and the AdamW update
// (≈ 10 element-wise FLOPs per trainable, ≈ 11 MFLOP with T = 8000, c = 128: < 0.1 % at the benchmark's
// shapes). The rate is these FLOPs / wall time of one step (upload, forward, backward, update, readback of
// the two losses).

import type { UseLiteWeights } from '../../model/useLite/useLiteWeights';
import { USE_HIDDEN } from './trainStepSetup';

export interface EncoderLayerShape {
  inputWidth: number;
  hidden: number;
  ffnWidth: number;
  residualProjection: boolean;
}

/** USE-Lite's two layers (../shared/docs/bundled-model.md). */
export const USE_LITE_LAYER_SHAPES: readonly EncoderLayerShape[] = [
  { inputWidth: 256, hidden: 512, ffnWidth: 1536, residualProjection: true },
  { inputWidth: 512, hidden: 512, ffnWidth: 1536, residualProjection: false },
];

export function layerShapesOf(w: UseLiteWeights): EncoderLayerShape[] {
  return w.layers.map((l) => ({ inputWidth: l.inputWidth, hidden: l.hidden, ffnWidth: l.ffnWidth, residualProjection: l.residualProjection !== null }));
}

export interface TrainStepShape {
  batch: number;
  /** S: padded rows per example, prompt and plain rows included. */
  length: number;
  promptTokens: number;
  /** m; 0 = plain prompt tuning (no reconstruction head). */
  plainTokens: number;
  classes: number;
  reconVocab: number;
  reconRank: number;
  /** Real rows Σ_b lengths[b], when known: only for usefulRowFraction. */
  realRows?: number;
}

export interface TrainStepFlops {
  total: number;
  forward: { encoderMatmul: number; attention: number; taskHead: number; recHead: number; total: number };
  backward: { encoderMatmul: number; attention: number; taskHead: number; recHead: number; total: number };
  /** All weight matmuls (encoder and heads, forward and backward): what a matmul kernel's rate applies to. */
  matmul: number;
  /** Attention's products, forward and backward. */
  attention: number;
  /** realRows / (batch·length), or null when realRows was not given. */
  usefulRowFraction: number | null;
}

export function trainStepFlops(s: TrainStepShape, layers: readonly EncoderLayerShape[] = USE_LITE_LAYER_SHAPES): TrainStepFlops {
  const { batch: B, length: S, plainTokens: m, classes: C, reconVocab: T, reconRank: c } = s;
  if (!(S >= s.promptTokens + m + 1)) throw new RangeError(`padded length ${S} leaves no text row after ${s.promptTokens} prompt and ${m} plain rows`);
  const R = B * S;
  let encoderMatmul = 0;
  let attention = 0;
  for (const l of layers) {
    const w = l.inputWidth;
    const perRow = w * 3 * w + w * l.hidden + (l.residualProjection ? w * l.hidden : 0) + 2 * l.hidden * l.ffnWidth;
    encoderMatmul += 2 * R * perRow;
    attention += 4 * B * S * S * w;
  }
  const d = USE_HIDDEN;
  const taskHead = 2 * B * d * C;
  const bm = B * m;
  const recHead = m > 0 ? 2 * bm * (d * c + c * T) : 0;
  const forward = { encoderMatmul, attention, taskHead, recHead, total: encoderMatmul + attention + taskHead + recHead };
  const backward = {
    encoderMatmul,
    attention: 2 * attention,
    taskHead: 2 * taskHead,
    recHead: 2 * recHead,
    total: encoderMatmul + 2 * attention + 2 * taskHead + 2 * recHead,
  };
  return {
    total: forward.total + backward.total,
    forward,
    backward,
    matmul: 2 * encoderMatmul + 3 * taskHead + 3 * recHead,
    attention: 3 * attention,
    usefulRowFraction: s.realRows === undefined ? null : s.realRows / R,
  };
}

export const TRAIN_FLOP_COUNTING =
  'matrix products only, 2 FLOPs per multiply-accumulate, every padded row: encoder forward + activation gradients ' +
  '(2× its weight matmuls, 3× attention; the frozen weights get no gradient) + task and reconstruction heads ' +
  'forward, input and weight gradients (3× their forward); element-wise work and the AdamW update not counted ' +
  '(src/bench/training/trainFlops.ts); rate = FLOPs / wall time per step';
