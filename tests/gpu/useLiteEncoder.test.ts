// The WGSL USE-Lite encoder against the original graph executed by TF.js (CPU backend) in the same page,
// on 50 varied sentences including texts longer than the 128 positions the graph keeps.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { parseWeightsManifest, readWeightsSync } from '../../src/model/formats/tfjsWeights';
import { SentencePieceUnigramTokenizer, USE_LITE_TOKENIZER_OPTIONS, parseUnigramVocab } from '../../src/model/tokenizer/sentencePieceUnigram';
import { UseLiteEncoder } from '../../src/model/useLite/useLiteEncoder';
import { useLiteReferenceEncode } from '../../src/model/useLite/useLiteReference';
import { useLiteWeights } from '../../src/model/useLite/useLiteWeights';
import { useLiteSentences } from '../fixtures/useLiteSentences';
import { testRuntime } from './gpuTestRuntime';

const base = '/generated/models/use-lite/';

async function loadBundled() {
  const modelJson = (await (await fetch(`${base}model.json`)).json()) as { modelTopology: unknown; weightsManifest: { weights: unknown[] }[] };
  const manifest = parseWeightsManifest(modelJson);
  const shards = await Promise.all(manifest.groups.flatMap((g) => g.paths.map((p) => fetch(`${base}${p}`).then((r) => r.arrayBuffer()))));
  const vocab = parseUnigramVocab(await (await fetch(`${base}vocab.json`)).json());
  return { modelJson, shards, weights: useLiteWeights(readWeightsSync(manifest, shards)), tokenizer: new SentencePieceUnigramTokenizer(vocab, USE_LITE_TOKENIZER_OPTIONS) };
}

function concat(buffers: ArrayBuffer[]): ArrayBuffer {
  const out = new Uint8Array(buffers.reduce((s, b) => s + b.byteLength, 0));
  let o = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), o);
    o += b.byteLength;
  }
  return out.buffer;
}

describe('USE-Lite on WGSL', () => {
  it('matches the original TF.js graph on 50 sentences (cosine ≥ 0.9999)', async () => {
    const { modelJson, shards, weights, tokenizer } = await loadBundled();
    await tf.setBackend('cpu');
    const graph = await tf.loadGraphModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology as tf.io.ModelJSON['modelTopology'],
        weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[],
        weightData: concat(shards),
      }),
    );
    const encoder = await UseLiteEncoder.create(await testRuntime(), weights);
    const ids = useLiteSentences.map((t) => tokenizer.encode(t));
    const ours = await encoder.encode(ids, 16);

    let maxAbs = 0;
    let minCos = 1;
    for (let s = 0; s < ids.length; s++) {
      const got = ours.subarray(s * 512, (s + 1) * 512);
      let expected: ArrayLike<number>;
      if (ids[s].length === 0) {
        // The graph cannot take an empty sparse input; its value for no tokens is tanh(b_t) normalised.
        expected = useLiteReferenceEncode(weights, []);
      } else {
        const n = ids[s].length;
        const indices = tf.tensor2d(ids[s].flatMap((_, p) => [0, p]), [n, 2], 'int32');
        const values = tf.tensor1d(ids[s], 'int32');
        const out = (await graph.executeAsync({ indices, values })) as tf.Tensor;
        expected = await out.data();
        tf.dispose([indices, values, out]);
      }
      let dot = 0;
      let n1 = 0;
      let n2 = 0;
      for (let i = 0; i < 512; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(got[i] - expected[i]));
        dot += got[i] * expected[i];
        n1 += got[i] * got[i];
        n2 += expected[i] * expected[i];
      }
      minCos = Math.min(minCos, dot / Math.sqrt(n1 * n2));
    }
    console.log(`USE-Lite WGSL vs TF.js graph: ${ids.length} sentences, min cosine ${minCos.toFixed(8)}, max abs error ${maxAbs.toExponential(2)}`);
    expect(minCos).toBeGreaterThanOrEqual(0.9999);
    expect(maxAbs).toBeLessThan(1e-4);
    encoder.destroy();
  });

  it('gives the same vectors whatever the batch composition and padding', async () => {
    const { weights, tokenizer } = await loadBundled();
    const encoder = await UseLiteEncoder.create(await testRuntime(), weights);
    const ids = useLiteSentences.slice(0, 12).map((t) => tokenizer.encode(t));
    const together = await encoder.encode(ids, 12);
    const alone = await encoder.encode([ids[5]], 1);
    const ref = useLiteReferenceEncode(weights, ids[5]);
    for (let i = 0; i < 512; i++) {
      expect(Math.abs(together[5 * 512 + i] - alone[i])).toBeLessThan(2e-6);
      expect(Math.abs(alone[i] - ref[i])).toBeLessThan(1e-5);
    }
    await expect(encoder.encode([[8002]])).rejects.toThrow('outside the vocabulary');
    encoder.destroy();
  });
});
