import { describe, expect, it } from 'vitest';
import { EmbeddingKernel } from '../../../src/transformer/kernels/embedding';
import { embeddingReference } from '../../../src/transformer/kernels/embeddingReference';
import { testRandom, testRuntime } from '../gpuTestRuntime';
import { TestBuffers, expectClose, randomArray, readFloats, run } from './kernelTestUtils';

const U = 2 ** -24;

async function check(o: { rows: number; seqLen: number; hidden: number; vocab: number; positions: number; types?: number; scale: number; badIds?: boolean }, seed: number) {
  const rt = await testRuntime();
  const kernel = await EmbeddingKernel.create(rt, { tokenTypes: o.types !== undefined });
  const bufs = new TestBuffers(rt);
  const rand = testRandom(seed);
  // Out-of-range ids (vocab, 2³²−1) must be clamped to the last row, not read out of bounds.
  const ids = Uint32Array.from({ length: o.rows }, (_, i) => (o.badIds && i % 5 === 1 ? (i % 2 ? o.vocab : 0xffffffff) : Math.floor(rand() * o.vocab)));
  const table = randomArray(seed + 1, o.vocab * o.hidden);
  const positions = randomArray(seed + 2, o.positions * o.hidden);
  const typeIds = o.types !== undefined ? Uint32Array.from({ length: o.rows }, (_, i) => (i * 7) % (o.types! + 1)) : undefined;
  const typeTable = o.types !== undefined ? randomArray(seed + 3, o.types * o.hidden) : undefined;
  const out = bufs.output(o.rows * o.hidden);
  await run(rt, [
    kernel.prepare({
      ids: bufs.upload(ids),
      table: bufs.upload(table),
      positions: bufs.upload(positions),
      typeIds: typeIds && bufs.upload(typeIds),
      typeTable: typeTable && bufs.upload(typeTable),
      out,
      rows: o.rows,
      seqLen: o.seqLen,
      hidden: o.hidden,
      scale: o.scale,
      vocab: o.vocab,
      typeVocab: o.types,
    }),
  ]);
  const got = await readFloats(rt, out, o.rows * o.hidden);
  // Three f32 roundings (scale·t, + position, + type) of terms bounded by |scale| + 2.
  const want = embeddingReference({ ids, table, positions, typeIds, typeTable, seqLen: o.seqLen, hidden: o.hidden, scale: o.scale });
  expectClose(got, want, 3 * U * (Math.abs(o.scale) + 2), 0, `embedding ${JSON.stringify(o)}`);
  bufs.destroy();
}

describe('shaders/transformer/embedding.wgsl', () => {
  it('adds positions per sequence (batch 3 × seqLen 5) with scale 2 and a larger position table', async () => {
    await check({ rows: 15, seqLen: 5, hidden: 7, vocab: 11, positions: 9, scale: 2 }, 1);
  });
  it('adds token types and clamps out-of-range ids and type ids', async () => {
    await check({ rows: 70, seqLen: 35, hidden: 68, vocab: 40, positions: 35, types: 2, scale: 1, badIds: true }, 2);
  });
  it('takes one row and hidden = 1', async () => {
    await check({ rows: 1, seqLen: 1, hidden: 1, vocab: 1, positions: 1, scale: -0.5 }, 3);
  });
  it('folds more than 65535 rows into y', async () => {
    await check({ rows: 70_000, seqLen: 7, hidden: 2, vocab: 50, positions: 7, scale: 1 }, 4);
  });
  it('refuses missing token types and short tables', async () => {
    const rt = await testRuntime();
    const kernel = await EmbeddingKernel.create(rt, { tokenTypes: true });
    const bufs = new TestBuffers(rt);
    const b = bufs.upload(new Float32Array(64));
    expect(() => kernel.prepare({ ids: b, table: b, positions: b, out: b, rows: 4, seqLen: 4, hidden: 4, scale: 1 })).toThrow(/tokenTypes/);
    expect(() => kernel.prepare({ ids: b, table: b, positions: b, typeIds: b, typeTable: b, out: b, rows: 4, seqLen: 4, hidden: 4, scale: 1, vocab: 100 })).toThrow(/'table'/);
    bufs.destroy();
  });
});
