// A Hugging Face BERT encoder on our WGSL kernels (post-LayerNorm layers, learned absolute positions, token
// types), with the masked-LM head. Checked against an independent NumPy implementation on a tiny random
// checkpoint (tests/fixtures/tiny-bert, tests/gpu/bertEncoder.test.ts).
//
//   x = LN(E[id] + P[pos] + T[type])
//   per layer: qkv = x·Wqkv + b; o = attention(qkv, 1/√dh)
//              x = LN(o·Wo + bo + x); x = LN(act(x·Wi + bi)·Wout + bout + x)
//   MLM head at chosen rows r: logits = LN(act(x_r·Wt + bt))·Eᵀ + bias
//
// As for USE-Lite, a plan (activation buffers + prepared dispatches) is built once per shape and reused.

import type { GpuRuntime } from '../../gpu/runtime';
import { PlanCache } from '../../gpu/planCache';
import { encodeDispatches, type PreparedDispatch } from '../../gpu/preparedDispatch';
import { AttentionKernel } from '../../transformer/kernels/attention';
import { EmbeddingKernel } from '../../transformer/kernels/embedding';
import { GatherRowsKernel } from '../../transformer/kernels/gatherRows';
import { LayerNormKernel } from '../../transformer/kernels/layerNorm';
import { MatmulKernel } from '../../transformer/kernels/matmul';
import { MeanPoolKernel } from '../../transformer/kernels/meanPool';
import type { BertWeights } from './bertWeights';

const MAX_PLANS = 4;

interface Plan {
  key: string;
  batch: number;
  seqLen: number;
  mlmRows: number;
  ids: GPUBuffer;
  typeIds: GPUBuffer;
  lengths: GPUBuffer;
  rowIndex: GPUBuffer;
  hidden: GPUBuffer;
  pooled: GPUBuffer;
  logits: GPUBuffer;
  buffers: GPUBuffer[];
  dispatches: PreparedDispatch[];
}

export interface BertOutputs {
  seqLen: number;
  /** [batch, seqLen, hidden], padded rows included. */
  hidden: Float32Array;
  /** [batch, hidden], mean over real tokens. */
  meanPooled: Float32Array;
  /** [mlmPositions, vocab], when MLM positions were asked for and the model has the head. */
  mlmLogits: Float32Array | null;
}

/** A LayerNorm's frozen gamma and beta on the GPU. */
export interface DeviceLayerNorm {
  gamma: GPUBuffer;
  beta: GPUBuffer;
}

/** One encoder layer's weights on the GPU (layouts as in BertLayerWeights). */
export interface BertDeviceLayer {
  /** [h, 3h], column blocks [Q | K | V]. */
  qkvW: GPUBuffer;
  qkvB: GPUBuffer;
  attentionOutW: GPUBuffer;
  attentionOutB: GPUBuffer;
  attentionLn: DeviceLayerNorm;
  /** [h, I]. */
  inW: GPUBuffer;
  inB: GPUBuffer;
  /** [I, h]. */
  outW: GPUBuffer;
  outB: GPUBuffer;
  outputLn: DeviceLayerNorm;
}

export interface BertDeviceWeights {
  /** [V, h]. */
  word: GPUBuffer;
  /** [P, h]. */
  position: GPUBuffer;
  /** [T, h]. */
  type: GPUBuffer;
  embeddingLn: DeviceLayerNorm;
  layers: readonly BertDeviceLayer[];
  /** The masked-LM head, when the checkpoint has one. */
  mlm: { transformW: GPUBuffer; transformB: GPUBuffer; ln: DeviceLayerNorm; decoderBias: GPUBuffer; /** [V, h] */ decoder: GPUBuffer } | null;
}

export class BertEncoder {
  private readonly plans = new PlanCache<Plan>(MAX_PLANS);
  private readonly weightBuffers: GPUBuffer[] = [];
  private readonly w: Record<string, GPUBuffer> = {};

  private constructor(
    private readonly runtime: GpuRuntime,
    readonly weights: BertWeights,
    private readonly k: {
      embedding: EmbeddingKernel;
      layerNorm: LayerNormKernel;
      attention: AttentionKernel;
      linearResidual: MatmulKernel;
      linear: MatmulKernel;
      linearAct: MatmulKernel;
      decoder: MatmulKernel;
      meanPool: MeanPoolKernel;
      gather: GatherRowsKernel;
    },
  ) {
    const upload = (name: string, data: Float32Array) => {
      const b = runtime.storage(data.byteLength, `bert ${name}`);
      runtime.write(b, data);
      this.weightBuffers.push(b);
      this.w[name] = b;
    };
    upload('word', weights.wordEmbeddings);
    upload('position', weights.positionEmbeddings);
    upload('type', weights.tokenTypeEmbeddings);
    upload('embLn.g', weights.embeddingLn.gamma);
    upload('embLn.b', weights.embeddingLn.beta);
    weights.layers.forEach((l, i) => {
      upload(`${i}.qkv.w`, l.qkvWeight);
      upload(`${i}.qkv.b`, l.qkvBias);
      upload(`${i}.ao.w`, l.attentionOutWeight);
      upload(`${i}.ao.b`, l.attentionOutBias);
      upload(`${i}.aln.g`, l.attentionLn.gamma);
      upload(`${i}.aln.b`, l.attentionLn.beta);
      upload(`${i}.in.w`, l.intermediateWeight);
      upload(`${i}.in.b`, l.intermediateBias);
      upload(`${i}.out.w`, l.outputWeight);
      upload(`${i}.out.b`, l.outputBias);
      upload(`${i}.oln.g`, l.outputLn.gamma);
      upload(`${i}.oln.b`, l.outputLn.beta);
    });
    const head = weights.mlmHead;
    if (head) {
      upload('mlm.t.w', head.transformWeight);
      upload('mlm.t.b', head.transformBias);
      upload('mlm.ln.g', head.ln.gamma);
      upload('mlm.ln.b', head.ln.beta);
      upload('mlm.bias', head.decoderBias);
      if (head.decoderWeight) upload('mlm.dec.w', head.decoderWeight);
    }
  }

  static async create(runtime: GpuRuntime, weights: BertWeights): Promise<BertEncoder> {
    const act = weights.config.hiddenAct;
    const [embedding, layerNorm, attention, linearResidual, linear, linearAct, decoder, meanPool, gather] = await Promise.all([
      EmbeddingKernel.create(runtime, { tokenTypes: true }),
      LayerNormKernel.create(runtime),
      AttentionKernel.create(runtime),
      MatmulKernel.create(runtime, { activation: 'none', transposeB: false, bias: true, residual: true }),
      MatmulKernel.create(runtime, { activation: 'none', transposeB: false, bias: true, residual: false }),
      MatmulKernel.create(runtime, { activation: act, transposeB: false, bias: true, residual: false }),
      // Logits against the (tied) word embeddings [V, h]: B is given transposed.
      MatmulKernel.create(runtime, { activation: 'none', transposeB: true, bias: true, residual: false }),
      MeanPoolKernel.create(runtime),
      GatherRowsKernel.create(runtime),
    ]);
    return new BertEncoder(runtime, weights, { embedding, layerNorm, attention, linearResidual, linear, linearAct, decoder, meanPool, gather });
  }

  /**
   * The frozen weights on the GPU (for BertTrainer, which trains a prompt and heads on top of them without a
   * second copy). Linear weights are [in, out] as in BertWeights; the decoder is the word embeddings unless
   * the checkpoint has its own.
   */
  get deviceWeights(): BertDeviceWeights {
    const w = this.w;
    const ln = (name: string) => ({ gamma: w[`${name}.g`], beta: w[`${name}.b`] });
    return {
      word: w.word,
      position: w.position,
      type: w.type,
      embeddingLn: ln('embLn'),
      layers: this.weights.layers.map((_, i) => ({
        qkvW: w[`${i}.qkv.w`],
        qkvB: w[`${i}.qkv.b`],
        attentionOutW: w[`${i}.ao.w`],
        attentionOutB: w[`${i}.ao.b`],
        attentionLn: ln(`${i}.aln`),
        inW: w[`${i}.in.w`],
        inB: w[`${i}.in.b`],
        outW: w[`${i}.out.w`],
        outB: w[`${i}.out.b`],
        outputLn: ln(`${i}.oln`),
      })),
      mlm: this.weights.mlmHead
        ? { transformW: w['mlm.t.w'], transformB: w['mlm.t.b'], ln: ln('mlm.ln'), decoderBias: w['mlm.bias'], decoder: w['mlm.dec.w'] ?? w.word }
        : null,
    };
  }

  get weightBytes(): number {
    return this.weightBuffers.reduce((s, b) => s + b.size, 0);
  }

  /**
   * Runs the encoder on a batch of token-id sequences (already with [CLS] … [SEP]); `mlmPositions` lists
   * [sentence, position] pairs whose MLM logits to compute.
   */
  async forward(batch: readonly (readonly number[])[], mlmPositions: readonly [number, number][] = []): Promise<BertOutputs> {
    const cfg = this.weights.config;
    if (batch.length === 0) throw new RangeError('the batch is empty');
    if (mlmPositions.length > 0 && !this.weights.mlmHead) throw new RangeError('this checkpoint has no masked-LM head');
    const longest = Math.max(1, ...batch.map((s) => s.length));
    if (longest > cfg.maxPositionEmbeddings) {
      throw new RangeError(`a sequence has ${longest} tokens; this model takes at most ${cfg.maxPositionEmbeddings}`);
    }
    const seqLen = Math.min(cfg.maxPositionEmbeddings, Math.ceil(longest / 8) * 8);
    const plan = this.plan(batch.length, seqLen, mlmPositions.length);
    const ids = new Uint32Array(plan.batch * seqLen);
    const lengths = new Uint32Array(plan.batch);
    batch.forEach((s, b) => {
      lengths[b] = s.length;
      s.forEach((id, p) => {
        if (!Number.isInteger(id) || id < 0 || id >= cfg.vocabSize) throw new RangeError(`token id ${id} is outside the vocabulary`);
        ids[b * seqLen + p] = id;
      });
    });
    const rowIndex = Uint32Array.from(mlmPositions, ([s, p]) => {
      if (!(s >= 0 && s < batch.length && p >= 0 && p < batch[s].length)) throw new RangeError(`MLM position [${s}, ${p}] is outside the batch`);
      return s * seqLen + p;
    });
    this.runtime.write(plan.ids, ids);
    this.runtime.write(plan.lengths, lengths);
    if (rowIndex.length > 0) this.runtime.write(plan.rowIndex, rowIndex);
    await this.runtime.submit('running the encoder', (enc) => encodeDispatches(enc, plan.dispatches));
    const h = cfg.hiddenSize;
    const [hidden, pooled, logits] = await Promise.all([
      this.runtime.read(plan.hidden, batch.length * seqLen * h * 4),
      this.runtime.read(plan.pooled, batch.length * h * 4),
      mlmPositions.length > 0 ? this.runtime.read(plan.logits, mlmPositions.length * cfg.vocabSize * 4) : null,
    ]);
    return { seqLen, hidden: new Float32Array(hidden), meanPooled: new Float32Array(pooled), mlmLogits: logits ? new Float32Array(logits) : null };
  }

  private plan(batch: number, seqLen: number, mlmRows: number): Plan {
    const key = `${batch}x${seqLen}+${mlmRows}`;
    return this.plans.get(key, () => this.buildPlan(key, batch, seqLen, mlmRows));
  }

  /** The activation arena and dispatch list for one shape. */
  private buildPlan(key: string, batch: number, seqLen: number, mlmRows: number): Plan {
    const rt = this.runtime;
    const cfg = this.weights.config;
    const { k, w } = this;
    const rows = batch * seqLen;
    const h = cfg.hiddenSize;
    const buffers: GPUBuffer[] = [];
    const buf = (floats: number, label: string) => {
      const b = rt.storage(Math.max(1, floats) * 4, `bert ${key} ${label}`);
      buffers.push(b);
      return b;
    };
    const ids = buf(rows, 'ids');
    const typeIds = buf(rows, 'typeIds'); // single sentences: all type 0 (a fresh buffer is zeroed)
    const lengths = buf(batch, 'lengths');
    const rowIndex = buf(mlmRows, 'mlm rows');
    const sum = buf(rows * h, 'embedding sum');
    const x = [buf(rows * h, 'x.a'), buf(rows * h, 'x.b')];
    const qkv = buf(rows * 3 * h, 'qkv');
    const o = buf(rows * h, 'o');
    const pre = buf(rows * h, 'pre-LN');
    const inner = buf(rows * cfg.intermediateSize, 'inner');
    const pooled = buf(batch * h, 'pooled');
    const picked = buf(mlmRows * h, 'mlm picked');
    const transformed = buf(mlmRows * h, 'mlm transformed');
    const normed = buf(mlmRows * h, 'mlm normed');
    const logits = buf(mlmRows * cfg.vocabSize, 'mlm logits');
    const eps = cfg.layerNormEps;

    const d: PreparedDispatch[] = [];
    d.push(k.embedding.prepare({ ids, table: w.word, positions: w.position, typeIds, typeTable: w.type, out: sum, rows, seqLen, hidden: h, scale: 1 }));
    d.push(k.layerNorm.prepare({ x: sum, gamma: w['embLn.g'], beta: w['embLn.b'], out: x[0], rows, cols: h, eps }));
    for (let i = 0; i < cfg.numHiddenLayers; i++) {
      d.push(k.linear.prepare({ a: x[0], b: w[`${i}.qkv.w`], bias: w[`${i}.qkv.b`], out: qkv, m: rows, n: 3 * h, k: h }));
      d.push(k.attention.prepare({ qkv, lengths, out: o, batch, seqLen, heads: cfg.numAttentionHeads, headDim: cfg.headDim, scale: 1 / Math.sqrt(cfg.headDim) }));
      d.push(k.linearResidual.prepare({ a: o, b: w[`${i}.ao.w`], bias: w[`${i}.ao.b`], residual: x[0], out: pre, m: rows, n: h, k: h }));
      d.push(k.layerNorm.prepare({ x: pre, gamma: w[`${i}.aln.g`], beta: w[`${i}.aln.b`], out: x[1], rows, cols: h, eps }));
      d.push(k.linearAct.prepare({ a: x[1], b: w[`${i}.in.w`], bias: w[`${i}.in.b`], out: inner, m: rows, n: cfg.intermediateSize, k: h }));
      d.push(k.linearResidual.prepare({ a: inner, b: w[`${i}.out.w`], bias: w[`${i}.out.b`], residual: x[1], out: pre, m: rows, n: h, k: cfg.intermediateSize }));
      d.push(k.layerNorm.prepare({ x: pre, gamma: w[`${i}.oln.g`], beta: w[`${i}.oln.b`], out: x[0], rows, cols: h, eps }));
    }
    d.push(k.meanPool.prepare({ x: x[0], lengths, out: pooled, batch, seqLen, hidden: h }));
    if (mlmRows > 0 && this.weights.mlmHead) {
      d.push(k.gather.prepare({ x: x[0], index: rowIndex, out: picked, rows: mlmRows, cols: h }));
      d.push(k.linearAct.prepare({ a: picked, b: w['mlm.t.w'], bias: w['mlm.t.b'], out: transformed, m: mlmRows, n: h, k: h }));
      d.push(k.layerNorm.prepare({ x: transformed, gamma: w['mlm.ln.g'], beta: w['mlm.ln.b'], out: normed, rows: mlmRows, cols: h, eps }));
      d.push(k.decoder.prepare({ a: normed, b: w['mlm.dec.w'] ?? w.word, bias: w['mlm.bias'], out: logits, m: mlmRows, n: cfg.vocabSize, k: h }));
    }
    const plan: Plan = { key, batch, seqLen, mlmRows, ids, typeIds, lengths, rowIndex, hidden: x[0], pooled, logits, buffers, dispatches: d };
    return plan;
  }

  destroy(): void {
    this.plans.clear();
    for (const b of this.weightBuffers) b.destroy();
  }
}
