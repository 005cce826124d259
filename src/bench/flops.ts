// FLOPs per forward pass, for the GFLOP/s column of the forward section. Counted: every matrix product,
// 2 FLOPs (multiply + add) per multiply-accumulate — the weight matmuls and attention's two products,
// q·kᵀ and softmax·v (each 2·L·L·d per sentence, all heads together). Not counted: embedding gathers,
// LayerNorm, softmax, activations, residual adds, pooling, normalisation — O(rows·width) element-wise work,
// under 1 % of the total at these shapes. GFLOP/s = these FLOPs / median wall time of one forward call,
// which includes uploading ids and reading the outputs back (so it is an effective rate, not a kernel
// rate; the per-kernel rows give the matmul kernels' own rate).

import type { BertConfig } from '../model/bert/bertConfig';
import type { UseLiteWeights } from '../model/useLite/useLiteWeights';

export interface ForwardFlops {
  total: number;
  /** In the weight matmuls (our matmul kernel). */
  matmul: number;
  /** In attention's q·kᵀ and softmax·v (our fused attention kernel). */
  attention: number;
}

/** Attention's two products for `batch` sentences of `length` tokens at total head width `width`. */
const attentionFlops = (batch: number, length: number, width: number) => 2 * 2 * batch * length * length * width;

/**
 * USE-Lite (useLiteEncoder.ts), rows = batch·length, per layer of input width w, hidden d, FFN width f:
 *   2·rows·(w·3w  [qkv]  + w·d  [attention output]  + w·d  [layer 0's residual projection]  + d·f + f·d  [FFN])
 *   + 4·batch·length²·w  [attention]
 * plus the output layer 2·batch·512·512.
 */
export function useLiteFlops(w: UseLiteWeights, batch: number, length: number): ForwardFlops {
  const rows = batch * length;
  let matmul = 2 * batch * 512 * 512;
  let attention = 0;
  for (const l of w.layers) {
    const perRow = l.inputWidth * 3 * l.inputWidth + l.inputWidth * l.hidden + (l.residualProjection ? l.inputWidth * l.hidden : 0) + 2 * l.hidden * l.ffnWidth;
    matmul += 2 * rows * perRow;
    attention += attentionFlops(batch, length, l.inputWidth);
  }
  return { total: matmul + attention, matmul, attention };
}

/**
 * BERT encoder (bertEncoder.ts, no MLM head), rows = batch·length, hidden h, FFN width I, per layer:
 *   2·rows·(h·3h [qkv] + h·h [attention output] + h·I + I·h [FFN]) + 4·batch·length²·h [attention]
 * — for BERT-base, 2·rows·7,077,888 + 4·batch·length²·768 per layer.
 */
export function bertFlops(c: BertConfig, batch: number, length: number): ForwardFlops {
  const rows = batch * length;
  const h = c.hiddenSize;
  const matmul = c.numHiddenLayers * 2 * rows * (3 * h * h + h * h + 2 * h * c.intermediateSize);
  const attention = c.numHiddenLayers * attentionFlops(batch, length, h);
  return { total: matmul + attention, matmul, attention };
}

export const FLOP_COUNTING =
  'matrix products only, 2 FLOPs per multiply-accumulate: weight matmuls + attention q·kᵀ and softmax·v ' +
  '(src/bench/flops.ts); element-wise work not counted; rate = FLOPs / median wall time per forward call';
