import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadBert } from '../../src/model/bert/loadBert';
import { localFilesSource } from '../../src/model/sources/localFilesSource';

const dir = new URL('../fixtures/tiny-bert/', import.meta.url);
const fixtureFiles = (skip: string[] = []) =>
  readdirSync(dir)
    .filter((f) => !skip.includes(f) && f !== 'reference.json' && f !== 'model-f16.safetensors')
    .map((f) => new File([readFileSync(new URL(f, dir))], f));

describe('loadBert', () => {
  it('loads the tiny BERT from a local folder: tokenizer, table, candidates, prior, weights', async () => {
    const stages: string[] = [];
    const model = await loadBert(localFilesSource(fixtureFiles(), { label: 'tiny-bert (local folder)' }), (p) => stages.push(p.stage), [
      'the cat sat on the mat .',
      'hello world',
    ]);
    expect(model.info).toMatchObject({ vocabSize: 98, embeddingDim: 32 });
    expect(model.architecture.kind).toBe('bert');
    const tok = model.tokenizer;
    const ids = tok.encodeWithOffsets('The cat sat.').ids;
    expect(ids[0]).toBe(2); // [CLS]
    expect(ids.at(-1)).toBe(3); // [SEP]
    for (const special of [0, 1, 2, 3, 4]) expect(model.table.candidate[special]).toBe(0);
    expect(model.info.candidateCount).toBe(93);
    // The prior is a distribution over candidates; frequent public-text tokens weigh more.
    let mass = 0;
    for (let id = 0; id < 98; id++) if (model.table.candidate[id]) mass += Math.exp(model.logPrior[id]);
    expect(mass).toBeCloseTo(1, 10);
    expect(stages.some((s) => s.startsWith('downloading'))).toBe(true);
  });

  it('refuses a folder without weights and names what is missing', async () => {
    await expect(loadBert(localFilesSource(fixtureFiles(['model.safetensors'])), () => {}, [])).rejects.toThrow(/model\.safetensors/);
  });

  it('refuses a tokenizer larger than the embedding table', async () => {
    const files = fixtureFiles(['vocab.txt', 'tokenizer.json']);
    const vocab = readFileSync(new URL('vocab.txt', dir), 'utf8') + Array.from({ length: 5 }, (_, i) => `extra${i}`).join('\n') + '\n';
    files.push(new File([vocab], 'vocab.txt'));
    await expect(loadBert(localFilesSource(files), () => {}, [])).rejects.toThrow('do not belong together');
  });
});
