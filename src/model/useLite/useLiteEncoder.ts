// USE-Lite's forward pass on our WGSL kernels (reference: useLiteReference.ts; architecture:
// ../shared/docs/bundled-model.md). Weights are uploaded once; for each (batch, sequence length) shape a
// plan — activation buffers plus prepared dispatches — is built once and reused, so encoding a batch
// allocates nothing on the GPU: it writes ids and lengths, encodes one compute pass and reads the vectors.
//
//   x0 = 2·E[id] + timing                                   embedding (scale 2)
//   layer 0: h = LN(x0); qkv = h·Wqkv + b; o = attention(qkv)
//            x1 = (o·Wo + bo) + (x0·Wd + bd)                two matmuls, the second adds the first
//            x2 = x1 + relu(LN(x1)·W1 + b1)·W2 + b2
//   layer 1: the same at width 512 with x as the plain residual
//   out = l2normalize(tanh(mean_{real tokens}(x)·Wt + bt))

import type { GpuRuntime } from '../../gpu/runtime';
import { PlanCache } from '../../gpu/planCache';
import { encodeDispatches, type PreparedDispatch } from '../../gpu/preparedDispatch';
import { AttentionKernel } from '../../transformer/kernels/attention';
import { EmbeddingKernel } from '../../transformer/kernels/embedding';
import { L2NormalizeKernel } from '../../transformer/kernels/l2Normalize';
import { LayerNormKernel } from '../../transformer/kernels/layerNorm';
import { MatmulKernel } from '../../transformer/kernels/matmul';
import { MeanPoolKernel } from '../../transformer/kernels/meanPool';
import type { UseLiteWeights } from './useLiteWeights';
import { useLiteTimingTable } from './useLiteWeights';

const LN_EPS = 1e-6;
const OUTPUT_DIM = 512;
/** Plans kept per shape; a 32 × 128 plan holds ~90 MB of activations, so old shapes are evicted. */
const MAX_PLANS = 4;

export interface LayerBuffers {
  lnGamma: GPUBuffer; lnBeta: GPUBuffer; qkvW: GPUBuffer; qkvB: GPUBuffer; outW: GPUBuffer; outB: GPUBuffer;
  resW: GPUBuffer | null; resB: GPUBuffer | null; ffnGamma: GPUBuffer; ffnBeta: GPUBuffer;
  inW: GPUBuffer; inB: GPUBuffer; ffnOutW: GPUBuffer; ffnOutB: GPUBuffer;
}

interface Plan {
  batch: number;
  seqLen: number;
  ids: GPUBuffer;
  lengths: GPUBuffer;
  out: GPUBuffer;
  buffers: GPUBuffer[];
  dispatches: PreparedDispatch[];
}

interface Kernels {
  embedding: EmbeddingKernel;
  layerNorm: LayerNormKernel;
  attention: AttentionKernel;
  linear: MatmulKernel;
  linearResidual: MatmulKernel;
  linearRelu: MatmulKernel;
  linearTanh: MatmulKernel;
  meanPool: MeanPoolKernel;
  l2Normalize: L2NormalizeKernel;
}

export class UseLiteEncoder {
  private readonly plans = new PlanCache<Plan>(MAX_PLANS);

  private constructor(
    private readonly runtime: GpuRuntime,
    readonly weights: UseLiteWeights,
    private readonly kernels: Kernels,
    private readonly embeddings: GPUBuffer,
    private readonly timing: GPUBuffer,
    private readonly layers: LayerBuffers[],
    private readonly outputW: GPUBuffer,
    private readonly outputB: GPUBuffer,
    private readonly weightBuffers: GPUBuffer[],
  ) {}

  /** The frozen weights on the GPU, shared with the trainer (useLiteTrainer.ts) so they are uploaded once. */
  get deviceWeights(): { embeddings: GPUBuffer; timing: GPUBuffer; layers: readonly LayerBuffers[]; outputW: GPUBuffer; outputB: GPUBuffer } {
    return { embeddings: this.embeddings, timing: this.timing, layers: this.layers, outputW: this.outputW, outputB: this.outputB };
  }

  /** Bytes of weights on the GPU, for the model panel. */
  get weightBytes(): number {
    return this.weightBuffers.reduce((s, b) => s + b.size, 0);
  }

  static async create(runtime: GpuRuntime, weights: UseLiteWeights): Promise<UseLiteEncoder> {
    const [embedding, layerNorm, attention, linear, linearResidual, linearRelu, linearTanh, meanPool, l2Normalize] = await Promise.all([
      EmbeddingKernel.create(runtime),
      LayerNormKernel.create(runtime),
      AttentionKernel.create(runtime),
      MatmulKernel.create(runtime, { activation: 'none', transposeB: false, bias: true, residual: false }),
      MatmulKernel.create(runtime, { activation: 'none', transposeB: false, bias: true, residual: true }),
      MatmulKernel.create(runtime, { activation: 'relu', transposeB: false, bias: true, residual: false }),
      MatmulKernel.create(runtime, { activation: 'tanh', transposeB: false, bias: true, residual: false }),
      MeanPoolKernel.create(runtime),
      L2NormalizeKernel.create(runtime),
    ]);
    const weightBuffers: GPUBuffer[] = [];
    const upload = (data: Float32Array, label: string) => {
      const b = runtime.storage(data.byteLength, `use-lite ${label}`);
      runtime.write(b, data);
      weightBuffers.push(b);
      return b;
    };
    const layers = weights.layers.map((l, i): LayerBuffers => ({
      lnGamma: upload(l.attentionLn.gamma, `L${i} ln.gamma`),
      lnBeta: upload(l.attentionLn.beta, `L${i} ln.beta`),
      qkvW: upload(l.qkvWeight, `L${i} qkv.w`),
      qkvB: upload(l.qkvBias, `L${i} qkv.b`),
      outW: upload(l.attentionOutWeight, `L${i} out.w`),
      outB: upload(l.attentionOutBias, `L${i} out.b`),
      resW: l.residualProjection ? upload(l.residualProjection.weight, `L${i} dense.w`) : null,
      resB: l.residualProjection ? upload(l.residualProjection.bias, `L${i} dense.b`) : null,
      ffnGamma: upload(l.ffnLn.gamma, `L${i} ffn.ln.gamma`),
      ffnBeta: upload(l.ffnLn.beta, `L${i} ffn.ln.beta`),
      inW: upload(l.ffnInWeight, `L${i} ffn.w1`),
      inB: upload(l.ffnInBias, `L${i} ffn.b1`),
      ffnOutW: upload(l.ffnOutWeight, `L${i} ffn.w2`),
      ffnOutB: upload(l.ffnOutBias, `L${i} ffn.b2`),
    }));
    return new UseLiteEncoder(
      runtime,
      weights,
      { embedding, layerNorm, attention, linear, linearResidual, linearRelu, linearTanh, meanPool, l2Normalize },
      upload(weights.embeddings, 'embeddings'),
      upload(useLiteTimingTable(weights), 'timing'),
      layers,
      upload(weights.outputWeight, 'tanh.w'),
      upload(weights.outputBias, 'tanh.b'),
      weightBuffers,
    );
  }

  /** Sentence vectors [sentences, 512] for token ids; sentences are batched by length internally. */
  async encode(sentences: readonly (readonly number[])[], maxBatch = 32): Promise<Float32Array> {
    const out = new Float32Array(sentences.length * OUTPUT_DIM);
    // Similar lengths together: less padding. Positions ≥ 128 are dropped, as the graph does.
    const order = [...sentences.keys()].sort((a, b) => sentences[a].length - sentences[b].length);
    for (let start = 0; start < order.length; start += maxBatch) {
      const group = order.slice(start, start + maxBatch);
      const seqLen = Math.max(1, ...group.map((i) => Math.min(sentences[i].length, this.weights.maxPositions)));
      const vectors = await this.encodeBatch(group.map((i) => sentences[i]), seqLen);
      group.forEach((s, row) => out.set(vectors.subarray(row * OUTPUT_DIM, (row + 1) * OUTPUT_DIM), s * OUTPUT_DIM));
    }
    return out;
  }

  private async encodeBatch(batch: readonly (readonly number[])[], seqLen: number): Promise<Float32Array> {
    // Round the padded length up so a few plans serve every batch (8, 16, 24, …).
    const paddedLen = Math.min(this.weights.maxPositions, Math.ceil(seqLen / 8) * 8);
    const plan = this.plan(batch.length, paddedLen);
    const ids = new Uint32Array(plan.batch * plan.seqLen);
    const lengths = new Uint32Array(plan.batch);
    batch.forEach((s, b) => {
      const n = Math.min(s.length, plan.seqLen);
      lengths[b] = n;
      for (let p = 0; p < n; p++) {
        const id = s[p];
        if (!Number.isInteger(id) || id < 0 || id >= this.weights.vocabSize) throw new RangeError(`token id ${id} is outside the vocabulary`);
        ids[b * plan.seqLen + p] = id;
      }
    });
    this.runtime.write(plan.ids, ids);
    this.runtime.write(plan.lengths, lengths);
    await this.runtime.submit('running the encoder', (enc) => encodeDispatches(enc, plan.dispatches));
    return new Float32Array(await this.runtime.read(plan.out, batch.length * OUTPUT_DIM * 4));
  }

  /** The plan for one (batch, seqLen) shape, built once and cached. */
  private plan(batch: number, seqLen: number): Plan {
    const key = `${batch}x${seqLen}`;
    return this.plans.get(key, () => this.buildPlan(key, batch, seqLen));
  }

  /** The activation arena and dispatch list for one shape. */
  private buildPlan(key: string, batch: number, seqLen: number): Plan {
    const rt = this.runtime;
    const k = this.kernels;
    const rows = batch * seqLen;
    const buffers: GPUBuffer[] = [];
    const buf = (floats: number, label: string) => {
      const b = rt.storage(floats * 4, `use-lite ${key} ${label}`);
      buffers.push(b);
      return b;
    };
    const ids = buf(rows, 'ids');
    const lengths = buf(batch, 'lengths');
    const d0 = this.weights.embeddingDim;
    const wide = Math.max(...this.weights.layers.map((l) => l.ffnWidth), 3 * 512);
    const x = [buf(rows * 512, 'x.a'), buf(rows * 512, 'x.b')];
    const h = buf(rows * 512, 'h');
    const qkv = buf(rows * 3 * 512, 'qkv');
    const o = buf(rows * 512, 'o');
    const attn = buf(rows * 512, 'attn');
    const inner = buf(rows * wide, 'inner');
    const pooled = buf(batch * 512, 'pooled');
    const tanh = buf(batch * 512, 'tanh');
    const out = buf(batch * OUTPUT_DIM, 'out');

    const d: PreparedDispatch[] = [];
    d.push(k.embedding.prepare({ ids, table: this.embeddings, positions: this.timing, out: x[0], rows, seqLen, hidden: d0, scale: 2 }));
    let cur = 0;
    this.weights.layers.forEach((lw, i) => {
      const L = this.layers[i];
      const w = lw.inputWidth;
      const next = 1 - cur;
      d.push(k.layerNorm.prepare({ x: x[cur], gamma: L.lnGamma, beta: L.lnBeta, out: h, rows, cols: w, eps: LN_EPS }));
      d.push(k.linear.prepare({ a: h, b: L.qkvW, bias: L.qkvB, out: qkv, m: rows, n: 3 * w, k: w }));
      d.push(k.attention.prepare({ qkv, lengths, out: o, batch, seqLen, heads: lw.heads, headDim: w / lw.heads, scale: lw.queryScale }));
      if (L.resW && L.resB) {
        // x1 = (o·Wo + bo) + (x0·Wd + bd): the projection of the un-normalised input is the residual.
        d.push(k.linear.prepare({ a: o, b: L.outW, bias: L.outB, out: attn, m: rows, n: lw.hidden, k: w }));
        d.push(k.linearResidual.prepare({ a: x[cur], b: L.resW, bias: L.resB, residual: attn, out: x[next], m: rows, n: lw.hidden, k: w }));
      } else {
        d.push(k.linearResidual.prepare({ a: o, b: L.outW, bias: L.outB, residual: x[cur], out: x[next], m: rows, n: lw.hidden, k: w }));
      }
      cur = next;
      d.push(k.layerNorm.prepare({ x: x[cur], gamma: L.ffnGamma, beta: L.ffnBeta, out: h, rows, cols: lw.hidden, eps: LN_EPS }));
      d.push(k.linearRelu.prepare({ a: h, b: L.inW, bias: L.inB, out: inner, m: rows, n: lw.ffnWidth, k: lw.hidden }));
      d.push(k.linearResidual.prepare({ a: inner, b: L.ffnOutW, bias: L.ffnOutB, residual: x[cur], out: x[1 - cur], m: rows, n: lw.hidden, k: lw.ffnWidth }));
      cur = 1 - cur;
    });
    d.push(k.meanPool.prepare({ x: x[cur], lengths, out: pooled, batch, seqLen, hidden: 512 }));
    d.push(k.linearTanh.prepare({ a: pooled, b: this.outputW, bias: this.outputB, out: tanh, m: batch, n: 512, k: 512 }));
    d.push(k.l2Normalize.prepare({ x: tanh, out, rows: batch, cols: OUTPUT_DIM }));
    const plan: Plan = { batch, seqLen, ids, lengths, out, buffers, dispatches: d };
    return plan;
  }

  destroy(): void {
    this.plans.clear();
    for (const b of this.weightBuffers) b.destroy();
  }
}
