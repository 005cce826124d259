// Chains every transformer kernel like a tiny encoder layer, all prepared dispatches encoded into ONE
// compute pass and submitted once, and checks the result against the chained double-precision references.
// This is what the model encoders do; it proves prepared dispatches compose (each owns its uniform, and
// WebGPU orders the storage writes of one dispatch before the reads of the next).
import { describe, expect, it } from 'vitest';
import { destroyDispatches, encodeDispatches } from '../../../src/gpu/preparedDispatch';
import { AttentionKernel } from '../../../src/transformer/kernels/attention';
import { attentionReference } from '../../../src/transformer/kernels/attentionReference';
import { EmbeddingKernel } from '../../../src/transformer/kernels/embedding';
import { embeddingReference } from '../../../src/transformer/kernels/embeddingReference';
import { L2NormalizeKernel } from '../../../src/transformer/kernels/l2Normalize';
import { l2NormalizeReference } from '../../../src/transformer/kernels/l2NormalizeReference';
import { LayerNormKernel } from '../../../src/transformer/kernels/layerNorm';
import { layerNormReference } from '../../../src/transformer/kernels/layerNormReference';
import { MatmulKernel } from '../../../src/transformer/kernels/matmul';
import { matmulReference } from '../../../src/transformer/kernels/matmulReference';
import { MeanPoolKernel } from '../../../src/transformer/kernels/meanPool';
import { meanPoolReference } from '../../../src/transformer/kernels/meanPoolReference';
import { testRandom, testRuntime } from '../gpuTestRuntime';
import { TestBuffers, expectClose, randomArray, readFloats } from './kernelTestUtils';

const f32 = (x: Float64Array) => Float32Array.from(x);

describe('a transformer layer from the kernels, in one submit', () => {
  for (const subgroups of [true, false]) {
    it(`matches the chained references (${subgroups ? 'subgroup' : 'portable'} kernels)`, async () => {
      const rt = await testRuntime();
      if (subgroups && !rt.device.features.has('subgroups' as GPUFeatureName)) return;
      // Batch 3 padded to 11 tokens with lengths 11, 6, 1; hidden 32 = 2 heads × 16; MLP width 72.
      const [batch, seqLen, hidden, heads, ffn, vocab] = [3, 11, 32, 2, 72, 50];
      const headDim = hidden / heads;
      const rows = batch * seqLen;
      const lengths = Uint32Array.of(11, 6, 1);
      const rand = testRandom(42);
      const ids = Uint32Array.from({ length: rows }, () => Math.floor(rand() * vocab));
      const typeIds = Uint32Array.from({ length: rows }, (_, r) => (r % seqLen > 4 ? 1 : 0));
      const w = {
        table: randomArray(1, vocab * hidden),
        positions: randomArray(2, seqLen * hidden),
        types: randomArray(3, 2 * hidden),
        ln1g: randomArray(4, hidden, 0.5, 1.5),
        ln1b: randomArray(5, hidden, -0.1, 0.1),
        qkv: randomArray(6, hidden * 3 * hidden, -0.3, 0.3),
        qkvB: randomArray(7, 3 * hidden, -0.1, 0.1),
        o: randomArray(8, hidden * hidden, -0.3, 0.3),
        oB: randomArray(9, hidden, -0.1, 0.1),
        ln2g: randomArray(10, hidden, 0.5, 1.5),
        ln2b: randomArray(11, hidden, -0.1, 0.1),
        in: randomArray(12, hidden * ffn, -0.3, 0.3),
        inB: randomArray(13, ffn, -0.1, 0.1),
        out: randomArray(14, ffn * hidden, -0.2, 0.2),
        outB: randomArray(15, hidden, -0.1, 0.1),
      };

      const [embedding, layerNorm, linear, linearResidual, linearGelu, attention, meanPool, l2] = await Promise.all([
        EmbeddingKernel.create(rt, { tokenTypes: true }),
        LayerNormKernel.create(rt),
        MatmulKernel.create(rt, { bias: true, subgroups }),
        MatmulKernel.create(rt, { bias: true, residual: true, subgroups }),
        MatmulKernel.create(rt, { bias: true, activation: 'gelu', subgroups }),
        AttentionKernel.create(rt, { subgroups }),
        MeanPoolKernel.create(rt),
        L2NormalizeKernel.create(rt),
      ]);
      const bufs = new TestBuffers(rt);
      const g = Object.fromEntries(Object.entries(w).map(([k, v]) => [k, bufs.upload(v, k)])) as Record<keyof typeof w, GPUBuffer>;
      const act = (floats: number, label: string) => bufs.output(floats, label);
      const [idsB, typeIdsB, lengthsB] = [bufs.upload(ids), bufs.upload(typeIds), bufs.upload(lengths)];
      const x0 = act(rows * hidden, 'x0');
      const h1 = act(rows * hidden, 'h1');
      const qkv = act(rows * 3 * hidden, 'qkv');
      const attn = act(rows * hidden, 'attn');
      const x1 = act(rows * hidden, 'x1');
      const h2 = act(rows * hidden, 'h2');
      const inner = act(rows * ffn, 'inner');
      const x2 = act(rows * hidden, 'x2');
      const pooled = act(batch * hidden, 'pooled');
      const unit = act(batch * hidden, 'unit');

      const dispatches = [
        embedding.prepare({ ids: idsB, table: g.table, positions: g.positions, typeIds: typeIdsB, typeTable: g.types, out: x0, rows, seqLen, hidden, scale: 2 }),
        layerNorm.prepare({ x: x0, gamma: g.ln1g, beta: g.ln1b, out: h1, rows, cols: hidden, eps: 1e-6 }),
        linear.prepare({ a: h1, b: g.qkv, bias: g.qkvB, out: qkv, m: rows, n: 3 * hidden, k: hidden }),
        attention.prepare({ qkv, lengths: lengthsB, out: attn, batch, seqLen, heads, headDim, scale: 1 / Math.sqrt(headDim) }),
        linearResidual.prepare({ a: attn, b: g.o, bias: g.oB, residual: x0, out: x1, m: rows, n: hidden, k: hidden }),
        layerNorm.prepare({ x: x1, gamma: g.ln2g, beta: g.ln2b, out: h2, rows, cols: hidden, eps: 1e-6 }),
        linearGelu.prepare({ a: h2, b: g.in, bias: g.inB, out: inner, m: rows, n: ffn, k: hidden }),
        linearResidual.prepare({ a: inner, b: g.out, bias: g.outB, residual: x1, out: x2, m: rows, n: hidden, k: ffn }),
        meanPool.prepare({ x: x2, lengths: lengthsB, out: pooled, batch, seqLen, hidden }),
        l2.prepare({ x: pooled, out: unit, rows: batch, cols: hidden }),
      ];
      await rt.submit('tiny transformer layer', (enc) => encodeDispatches(enc, dispatches));
      destroyDispatches(dispatches);

      // The references, each fed the previous one's output rounded to f32 (what the GPU stores).
      const rX0 = f32(embeddingReference({ ids, table: w.table, positions: w.positions, typeIds, typeTable: w.types, seqLen, hidden, scale: 2 }));
      const rH1 = f32(layerNormReference(rX0, w.ln1g, w.ln1b, rows, hidden, 1e-6));
      const rQkv = f32(matmulReference({ a: rH1, b: w.qkv, bias: w.qkvB, m: rows, n: 3 * hidden, k: hidden }));
      const rAttn = f32(attentionReference({ qkv: rQkv, lengths, batch, seqLen, heads, headDim, scale: 1 / Math.sqrt(headDim) }));
      const rX1 = f32(matmulReference({ a: rAttn, b: w.o, bias: w.oB, residual: rX0, m: rows, n: hidden, k: hidden }));
      const rH2 = f32(layerNormReference(rX1, w.ln2g, w.ln2b, rows, hidden, 1e-6));
      const rInner = f32(matmulReference({ a: rH2, b: w.in, bias: w.inB, activation: 'gelu', m: rows, n: ffn, k: hidden }));
      const rX2 = f32(matmulReference({ a: rInner, b: w.out, bias: w.outB, residual: rX1, m: rows, n: hidden, k: ffn }));
      const rPooled = meanPoolReference(rX2, lengths, batch, seqLen, hidden);
      const rUnit = l2NormalizeReference(f32(rPooled), batch, hidden);

      // Each stage adds a few 1e-7 of relative error and the layer norms scale errors by 1/σ (σ ≈ 0.5–2
      // here), so intermediate values of size ≲ 5 carry ≲ 1e-5 absolute error; the unit vector ≲ 5e-6.
      expectClose(await readFloats(rt, qkv, rows * 3 * hidden), rQkv, 1e-5, 1e-5, 'qkv');
      expectClose(await readFloats(rt, attn, rows * hidden), rAttn, 1e-5, 1e-5, 'attention');
      expectClose(await readFloats(rt, x2, rows * hidden), rX2, 2e-5, 1e-5, 'layer output');
      const got = await readFloats(rt, unit, batch * hidden);
      expectClose(got, rUnit, 5e-6, 0, 'normalised pooled output');
      // Padded rows were computed too (defined, finite), and the outputs are unit vectors.
      expect((await readFloats(rt, x2, rows * hidden)).every(Number.isFinite)).toBe(true);
      for (let b = 0; b < batch; b++) expect(Math.hypot(...got.subarray(b * hidden, (b + 1) * hidden))).toBeCloseTo(1, 5);
      bufs.destroy();
    });
  }
});
