// The two benchmark encoders written with jax-js (webgpu, jit): the same forward passes as our WGSL encoders
// (src/model/useLite/useLiteEncoder.ts, src/model/bert/bertEncoder.ts) on the same weights, for
// comparison. Every sentence of a benchmark batch has exactly `length` real tokens, so neither needs a
// padding mask (nor do ours or TF.js's on these inputs).
//
// jax-js moves arrays into the ops that take them (reference counting): a value used twice is passed as
// `x.ref` the first time. The weights live in a pytree that the jitted function receives by argument; each
// call passes `tree.ref(params)` so they survive it.
//
//   USE-Lite (architecture: ../shared/docs/bundled-model.md; reference useLiteReference.ts) — one jit over
//   the whole forward: x0 = 2·E[id] + timing[p]; two pre-LN layers (LN eps 1e-6; query scale from the
//   graph; layer 0's residual is x0·W_d + b_d); mean over tokens; tanh(·W_t + b_t); L2 normalise.
//   BERT (post-LN; bertEncoder.ts) — one jit for the embeddings + LN, one for an encoder layer (called once
//   per layer with that layer's weights: all layers have the same shapes, so it compiles once and a warm-up
//   of one layer compiles everything the forward needs), one for the mean pool. The calls are queued
//   back to back without waiting; jax-js runs them in order.

import type { Array as JaxArray } from '@jax-js/jax';
import type { BertWeights } from '../model/bert/bertWeights';
import type { UseLiteLayerWeights, UseLiteWeights } from '../model/useLite/useLiteWeights';
import { useLiteTimingTable } from '../model/useLite/useLiteWeights';
import type { Jax } from './peers';

export type LayerNormParams = { gamma: JaxArray; beta: JaxArray };

/** One USE-Lite layer's weights on the device (also the frozen encoder of training/jaxTrainStep.ts). */
export type UseLayerParams = {
  ln: LayerNormParams;
  qkvW: JaxArray;
  qkvB: JaxArray;
  outW: JaxArray;
  outB: JaxArray;
  /** Layer 0 only; layer 1 adds its input unchanged (a list so that the pytree has no optional member). */
  res: { w: JaxArray; b: JaxArray }[];
  ffnLn: LayerNormParams;
  w1: JaxArray;
  b1: JaxArray;
  w2: JaxArray;
  b2: JaxArray;
};

/** USE-Lite's embeddings, timing table and layers on the device. */
export type UseEncoderParams = { embeddings: JaxArray; timing: JaxArray; layers: UseLayerParams[] };

type UseParams = UseEncoderParams & { outW: JaxArray; outB: JaxArray };

type BertLayerParams = {
  qkvW: JaxArray;
  qkvB: JaxArray;
  aoW: JaxArray;
  aoB: JaxArray;
  aln: LayerNormParams;
  inW: JaxArray;
  inB: JaxArray;
  outW: JaxArray;
  outB: JaxArray;
  oln: LayerNormParams;
};

type BertEmbeddingParams = { word: JaxArray; position: JaxArray; type0: JaxArray; ln: LayerNormParams };

/** A device array of `data` with `shape` (float32). */
export function put(jax: Jax, data: Float32Array, shape: number[]): JaxArray {
  return jax.numpy.array(data, { shape });
}

/** USE-Lite's embeddings, timing table and layers as device arrays. */
export function useLiteEncoderParams(jax: Jax, w: UseLiteWeights): UseEncoderParams {
  return {
    embeddings: put(jax, w.embeddings, [w.vocabSize, w.embeddingDim]),
    timing: put(jax, useLiteTimingTable(w), [w.maxPositions, w.embeddingDim]),
    layers: w.layers.map((l) => useLiteLayerParams(jax, l)),
  };
}

function useLiteLayerParams(jax: Jax, l: UseLiteLayerWeights): UseLayerParams {
  return {
    ln: { gamma: put(jax, l.attentionLn.gamma, [l.inputWidth]), beta: put(jax, l.attentionLn.beta, [l.inputWidth]) },
    qkvW: put(jax, l.qkvWeight, [l.inputWidth, 3 * l.inputWidth]),
    qkvB: put(jax, l.qkvBias, [3 * l.inputWidth]),
    outW: put(jax, l.attentionOutWeight, [l.inputWidth, l.hidden]),
    outB: put(jax, l.attentionOutBias, [l.hidden]),
    res: l.residualProjection
      ? [{ w: put(jax, l.residualProjection.weight, [l.inputWidth, l.hidden]), b: put(jax, l.residualProjection.bias, [l.hidden]) }]
      : [],
    ffnLn: { gamma: put(jax, l.ffnLn.gamma, [l.hidden]), beta: put(jax, l.ffnLn.beta, [l.hidden]) },
    w1: put(jax, l.ffnInWeight, [l.hidden, l.ffnWidth]),
    b1: put(jax, l.ffnInBias, [l.ffnWidth]),
    w2: put(jax, l.ffnOutWeight, [l.ffnWidth, l.hidden]),
    b2: put(jax, l.ffnOutBias, [l.hidden]),
  };
}

/** (x − mean) / √(var + eps) · γ + β over the last axis, biased variance (both models). */
export function layerNorm(jax: Jax, x: JaxArray, p: LayerNormParams, eps: number): JaxArray {
  const np = jax.numpy;
  const mean = x.ref.mean(-1, { keepdims: true });
  const centred = x.sub(mean);
  const variance = np.square(centred.ref).mean(-1, { keepdims: true });
  return centred.mul(np.reciprocal(np.sqrt(variance.add(eps)))).mul(p.gamma).add(p.beta);
}

/** x [rows, in] · W [in, out] + b. */
export const linear = (jax: Jax, x: JaxArray, w: JaxArray, b: JaxArray): JaxArray => jax.numpy.matmul(x, w).add(b);

/**
 * Multi-head self-attention over qkv [batch·length, 3·width] (column blocks [Q | K | V], heads in
 * consecutive groups of width/heads columns) → [batch·length, width], with jax-js's dotProductAttention.
 */
function attention(jax: Jax, qkv: JaxArray, batch: number, length: number, heads: number, width: number, scale: number): JaxArray {
  const split = qkv.reshape([batch, length, 3, heads, width / heads]);
  const q = split.ref.slice([], [], 0);
  const k = split.ref.slice([], [], 1);
  const v = split.slice([], [], 2);
  return jax.nn.dotProductAttention(q, k, v, { scale }).reshape([batch * length, width]);
}

export interface JaxUseLite {
  /** Sentence vectors [batch, 512] for ids [batch, length] (int32, row-major); returns when they are read. */
  encode(ids: Int32Array, batch: number, length: number): Promise<Float32Array>;
  dispose(): void;
}

export function jaxUseLite(jax: Jax, w: UseLiteWeights): JaxUseLite {
  const np = jax.numpy;
  const params: UseParams = {
    ...useLiteEncoderParams(jax, w),
    outW: put(jax, w.outputWeight, [512, 512]),
    outB: put(jax, w.outputBias, [512]),
  };
  const eps = 1e-6;
  const forward = jax.jit((p: UseParams, ids: JaxArray): JaxArray => {
    const [batch, length] = ids.shape;
    const rows = batch * length;
    const e = np.take(p.embeddings, ids.reshape([rows]), 0).mul(2).reshape([batch, length, w.embeddingDim]);
    let x = e.add(p.timing.slice([0, length])).reshape([rows, w.embeddingDim]);
    w.layers.forEach((lw, i) => {
      const l = p.layers[i];
      const h = layerNorm(jax, x.ref, l.ln, eps);
      const o = attention(jax, linear(jax, h, l.qkvW, l.qkvB), batch, length, lw.heads, lw.inputWidth, lw.queryScale);
      const attn = linear(jax, o, l.outW, l.outB);
      const residual = l.res.length ? linear(jax, x, l.res[0].w, l.res[0].b) : x;
      const x1 = attn.add(residual);
      const inner = jax.nn.relu(linear(jax, layerNorm(jax, x1.ref, l.ffnLn, eps), l.w1, l.b1));
      x = x1.add(linear(jax, inner, l.w2, l.b2));
    });
    const pooled = x.reshape([batch, length, 512]).mean(1);
    const t = np.tanh(linear(jax, pooled, p.outW, p.outB));
    const norm = np.sqrt(np.maximum(np.square(t.ref).sum(-1, { keepdims: true }), 1e-12));
    return t.div(norm);
  });
  return {
    async encode(ids, batch, length) {
      const out = forward(jax.tree.ref(params), np.array(ids, { shape: [batch, length], dtype: np.int32 }));
      return new Float32Array((await out.data()) as Float32Array);
    },
    dispose() {
      forward.dispose();
      jax.tree.dispose(params);
    },
  };
}

export interface JaxBertOutputs {
  /** [batch, length, hidden]. */
  hidden: Float32Array;
  /** [batch, hidden], mean over tokens. */
  meanPooled: Float32Array;
}

export interface JaxBert {
  /** The encoder on ids [batch, length]; `layers` defaults to all (fewer: a warm-up that compiles every kernel). */
  forward(ids: Int32Array, batch: number, length: number, layers?: number): Promise<JaxBertOutputs>;
  dispose(): void;
}

export function jaxBert(jax: Jax, w: BertWeights): JaxBert {
  const np = jax.numpy;
  const cfg = w.config;
  const h = cfg.hiddenSize;
  const inner = cfg.intermediateSize;
  const ln = (g: Float32Array, b: Float32Array): LayerNormParams => ({ gamma: put(jax, g, [h]), beta: put(jax, b, [h]) });
  const embeddings: BertEmbeddingParams = {
    word: put(jax, w.wordEmbeddings, [cfg.vocabSize, h]),
    position: put(jax, w.positionEmbeddings, [cfg.maxPositionEmbeddings, h]),
    // Single sentences: every token has type 0.
    type0: put(jax, w.tokenTypeEmbeddings.subarray(0, h), [h]),
    ln: ln(w.embeddingLn.gamma, w.embeddingLn.beta),
  };
  const layers: BertLayerParams[] = w.layers.map((l) => ({
    qkvW: put(jax, l.qkvWeight, [h, 3 * h]),
    qkvB: put(jax, l.qkvBias, [3 * h]),
    aoW: put(jax, l.attentionOutWeight, [h, h]),
    aoB: put(jax, l.attentionOutBias, [h]),
    aln: ln(l.attentionLn.gamma, l.attentionLn.beta),
    inW: put(jax, l.intermediateWeight, [h, inner]),
    inB: put(jax, l.intermediateBias, [inner]),
    outW: put(jax, l.outputWeight, [inner, h]),
    outB: put(jax, l.outputBias, [h]),
    oln: ln(l.outputLn.gamma, l.outputLn.beta),
  }));
  const eps = cfg.layerNormEps;
  const act = (x: JaxArray): JaxArray => {
    if (cfg.hiddenAct === 'relu') return jax.nn.relu(x);
    return jax.nn.gelu(x, { approximate: cfg.hiddenAct === 'geluTanh' });
  };

  // batch and length are static arguments: each (batch, length) compiles once.
  const embed = jax.jit(
    (p: BertEmbeddingParams, ids: JaxArray, batch: number, length: number): JaxArray => {
      const e = np.take(p.word, ids.reshape([batch * length]), 0).reshape([batch, length, h]);
      const x = e.add(p.position.slice([0, length])).add(p.type0);
      return layerNorm(jax, x.reshape([batch * length, h]), p.ln, eps);
    },
    { staticArgnums: [2, 3] },
  );
  // x [batch·length, h] → the same.
  const layer = jax.jit(
    (p: BertLayerParams, x: JaxArray, batch: number, length: number): JaxArray => {
      const o = attention(jax, linear(jax, x.ref, p.qkvW, p.qkvB), batch, length, cfg.numAttentionHeads, h, 1 / Math.sqrt(cfg.headDim));
      const x1 = layerNorm(jax, linear(jax, o, p.aoW, p.aoB).add(x), p.aln, eps);
      const ffn = linear(jax, act(linear(jax, x1.ref, p.inW, p.inB)), p.outW, p.outB);
      return layerNorm(jax, ffn.add(x1), p.oln, eps);
    },
    { staticArgnums: [2, 3] },
  );
  const pool = jax.jit((x: JaxArray, batch: number, length: number): JaxArray => x.reshape([batch, length, h]).mean(1), { staticArgnums: [1, 2] });

  return {
    async forward(ids, batch, length, count = layers.length) {
      let x = embed(jax.tree.ref(embeddings), np.array(ids, { shape: [batch, length], dtype: np.int32 }), batch, length);
      for (let i = 0; i < count; i++) x = layer(jax.tree.ref(layers[i]), x, batch, length);
      const pooled = pool(x.ref, batch, length);
      const [hidden, meanPooled] = await Promise.all([x.data(), pooled.data()]);
      return { hidden: new Float32Array(hidden as Float32Array), meanPooled: new Float32Array(meanPooled as Float32Array) };
    },
    dispose() {
      for (const f of [embed, layer, pool]) f.dispose();
      jax.tree.dispose(embeddings);
      jax.tree.dispose(layers);
    },
  };
}
