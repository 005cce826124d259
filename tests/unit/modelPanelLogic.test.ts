// The Model panel's pure logic: cosine similarities, the sentence list, formatting, cached-model grouping,
// local folder labels and the walk over a dropped folder.

import { describe, expect, it } from 'vitest';
import { hubAddress } from '../../src/model/sources/hubAddress';
import { filesOfDrop, type DropItemLike, type EntryLike } from '../../src/ui/folderDrop';
import {
  DEFAULT_FILL_MASK_TEXT,
  DEFAULT_SIMILARITY_SENTENCES,
  MAX_SIMILARITY_SENTENCES,
  cosineSimilarityMatrix,
  formatIdRanges,
  formatMegabytes,
  formatParameterCount,
  formatProbability,
  groupCachedHubModels,
  hasMaskToken,
  localFolderLabel,
  nearestOther,
  parseSentences,
  progressText,
  summarizeFolder,
} from '../../src/ui/modelPanelLogic';

describe('cosineSimilarityMatrix', () => {
  it('is symmetric with a unit diagonal and matches the definition', () => {
    const v = new Float32Array([1, 0, 0, 1, 1, 0, -2, 0, 0]);
    const m = cosineSimilarityMatrix(v, 3, 3);
    expect(m.map((r, i) => r[i])).toEqual([1, 1, 1]);
    expect(m[0][1]).toBeCloseTo(1 / Math.sqrt(2), 12);
    expect(m[0][2]).toBeCloseTo(-1, 12);
    expect(m[1][2]).toBeCloseTo(-1 / Math.sqrt(2), 12);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(m[i][j]).toBe(m[j][i]);
  });

  it('does not depend on vector length and agrees with a direct computation on random vectors', () => {
    const n = 4;
    const dim = 16;
    const v = new Float32Array(n * dim).map((_, i) => Math.sin(i * 1.7) + (i % 5) * 0.1);
    const scaled = v.map((x, i) => x * (1 + Math.floor(i / dim)));
    const a = cosineSimilarityMatrix(v, n, dim);
    const b = cosineSimilarityMatrix(scaled, n, dim);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let dot = 0;
        let ni = 0;
        let nj = 0;
        for (let k = 0; k < dim; k++) {
          dot += v[i * dim + k] * v[j * dim + k];
          ni += v[i * dim + k] ** 2;
          nj += v[j * dim + k] ** 2;
        }
        expect(a[i][j]).toBeCloseTo(dot / Math.sqrt(ni * nj), 6);
        expect(b[i][j]).toBeCloseTo(a[i][j], 6);
        expect(Math.abs(a[i][j])).toBeLessThanOrEqual(1);
      }
    }
  });

  it('gives 0 (never NaN) for a zero vector and refuses a short buffer', () => {
    const m = cosineSimilarityMatrix(new Float32Array([0, 0, 3, 4]), 2, 2);
    expect(m).toEqual([
      [0, 0],
      [0, 1],
    ]);
    expect(() => cosineSimilarityMatrix(new Float32Array(3), 2, 2)).toThrow(RangeError);
    expect(cosineSimilarityMatrix(new Float32Array(0), 0, 8)).toEqual([]);
  });

  it('nearestOther picks the most similar other row', () => {
    expect(
      nearestOther([
        [1, 0.9, 0.1],
        [0.9, 1, 0.2],
        [0.1, 0.2, 1],
      ]),
    ).toEqual([1, 0, 1]);
    expect(nearestOther([[1]])).toEqual([-1]);
  });
});

describe('sentences and masks', () => {
  it('the defaults: two paraphrases and an unrelated sentence; a fill-mask text with [MASK]', () => {
    const parsed = parseSentences(DEFAULT_SIMILARITY_SENTENCES);
    expect(parsed.ok && parsed.sentences.length).toBe(3);
    expect(hasMaskToken(DEFAULT_FILL_MASK_TEXT)).toBe(true);
    expect(hasMaskToken('no mask here [mask]')).toBe(false);
  });

  it('takes non-empty trimmed lines and refuses too few, too many or too long', () => {
    expect(parseSentences('  a b \r\n\n c  \n')).toEqual({ ok: true, sentences: ['a b', 'c'] });
    expect(parseSentences('only one')).toMatchObject({ ok: false, error: expect.stringContaining('at least two') });
    expect(parseSentences(Array.from({ length: MAX_SIMILARITY_SENTENCES + 1 }, (_, i) => `s${i}`).join('\n'))).toMatchObject({ ok: false });
    expect(parseSentences(`short\n${'x'.repeat(501)}`)).toMatchObject({ ok: false, error: expect.stringContaining('Sentence 2') });
  });
});

describe('formatting', () => {
  it('parameter counts', () => {
    expect(formatParameterCount(4_385_920)).toBe('4.4 M');
    expect(formatParameterCount(109_482_240)).toBe('109 M');
    expect(formatParameterCount(1_234_000_000)).toBe('1.2 B');
    expect(formatParameterCount(25_890)).toBe('25.9 k');
    expect(formatParameterCount(512)).toBe('512');
    expect(formatParameterCount(NaN)).toBe('—');
  });

  it('megabytes, progress and probabilities', () => {
    expect(formatMegabytes(0)).toBe('0.0');
    expect(formatMegabytes(1000)).toBe('< 0.1');
    expect(formatMegabytes(17.6 * 2 ** 20)).toBe('17.6');
    expect(formatMegabytes(420 * 2 ** 20)).toBe('420');
    expect(progressText(null)).toBe('starting…');
    expect(progressText({ stage: 'listing files', loadedBytes: 0, totalBytes: 0 })).toBe('listing files');
    expect(progressText({ stage: 'downloading model.safetensors (4/4 files)', loadedBytes: 2 ** 20, totalBytes: 4 * 2 ** 20 })).toBe(
      'downloading model.safetensors (4/4 files) · 1.0 of 4.0 MB',
    );
    expect(formatProbability(0.4567)).toBe('45.7 %');
    expect(formatProbability(0.00001)).toBe('< 0.1 %');
  });

  it('id ranges', () => {
    expect(formatIdRanges([3, 0, 1, 2, 7, 9, 10])).toBe('0–3, 7, 9, 10');
    expect(formatIdRanges([])).toBe('none');
    expect(formatIdRanges(Array.from({ length: 10 }, (_, i) => i * 2), 3)).toBe('0, 2, 4, … (7 more)');
  });
});

describe('groupCachedHubModels', () => {
  const a = hubAddress('prajjwal1/bert-tiny');
  const b = hubAddress('bert-base-uncased');
  const commit = 'c'.repeat(40);
  const entries = [
    { url: a.listingCacheKey, bytes: 100 },
    { url: a.fileUrl('config.json', commit), bytes: 500 },
    { url: a.fileUrl('model.safetensors', commit), bytes: 17_000_000 },
    { url: hubAddress('prajjwal1/bert-tiny', 'refs/pr/1').listingCacheKey, bytes: 90 },
    { url: b.fileUrl('vocab.txt', 'main'), bytes: 230_000 },
    { url: b.listingCacheKey, bytes: 80 },
    { url: 'https://example.org/x/y/resolve/main/config.json', bytes: 9 },
    { url: 'https://huggingface.co/not..valid/resolve/main/config.json', bytes: 9 },
  ];

  it('groups files and listings by model id, with revisions, counts and sizes', () => {
    expect(groupCachedHubModels(entries)).toEqual([
      { id: 'bert-base-uncased', revisions: ['main'], files: 1, bytes: 230_080 },
      { id: 'prajjwal1/bert-tiny', revisions: ['main', 'refs/pr/1'], files: 2, bytes: 17_000_690 },
    ]);
  });

  it('is empty for an empty cache and honours another base URL', () => {
    expect(groupCachedHubModels([])).toEqual([]);
    const mirror = hubAddress('org/m', 'main', 'https://mirror.example/hf');
    expect(groupCachedHubModels([{ url: mirror.fileUrl('config.json'), bytes: 3 }], 'https://mirror.example/hf')).toEqual([
      { id: 'org/m', revisions: [], files: 1, bytes: 3 },
    ]);
  });
});

describe('local folders', () => {
  it('labels by the common top folder and summarises the file names', () => {
    expect(localFolderLabel(['tiny-bert/config.json', 'tiny-bert/vocab.txt'])).toBe('tiny-bert (local folder)');
    expect(localFolderLabel(['config.json', 'vocab.txt'])).toBe('2 local files');
    expect(localFolderLabel(['a/config.json', 'b/vocab.txt'])).toBe('2 local files');
    expect(summarizeFolder(['m/vocab.txt', 'm/config.json'])).toBe('config.json, vocab.txt');
    expect(summarizeFolder(['a', 'b', 'c'], 2)).toBe('a, b, … (3 files)');
  });

  function fileEntry(name: string, content = name): EntryLike {
    return { isFile: true, isDirectory: false, name, file: (ok) => ok(new File([content], name, { lastModified: 5 })) };
  }
  function dirEntry(name: string, children: EntryLike[]): EntryLike {
    return {
      isFile: false,
      isDirectory: true,
      name,
      createReader: () => {
        // Answers in batches of two, then an empty batch, as readEntries does.
        let offset = 0;
        return {
          readEntries: (ok) => {
            ok(children.slice(offset, offset + 2));
            offset += 2;
          },
        };
      },
    };
  }
  const item = (entry: EntryLike | null, file: File | null = null): DropItemLike => ({ kind: 'file', webkitGetAsEntry: () => entry, getAsFile: () => file });

  it('walks a dropped folder, names files by their paths and skips hidden folders', async () => {
    const folder = dirEntry('tiny-bert', [fileEntry('config.json'), fileEntry('vocab.txt'), dirEntry('.git', [fileEntry('HEAD')]), dirEntry('sub', [fileEntry('model.safetensors', 'weights')])]);
    const files = await filesOfDrop([item(folder)]);
    expect(files.map((f) => f.path)).toEqual(['tiny-bert/config.json', 'tiny-bert/vocab.txt', 'tiny-bert/sub/model.safetensors']);
    expect(files.map((f) => f.file.name)).toEqual(files.map((f) => f.path));
    expect(await files[2].file.text()).toBe('weights');
    expect(files[0].file.lastModified).toBe(5);
  });

  it('takes plain files when there are no entries, and ignores non-file items', async () => {
    const plain = new File(['{}'], 'config.json');
    const files = await filesOfDrop([item(null, plain), { kind: 'string', getAsFile: () => null }]);
    expect(files).toEqual([{ path: 'config.json', file: plain }]);
  });
});
