// A model from a picked or dropped folder, which files a BERT-family model needs, and downloading several
// files at once (all or nothing, with one progress figure). The local source doubles as an in-memory source.

import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../src/model/fetchWithProgress';
import { downloadAll, type DownloadProgress } from '../../src/model/sources/downloadAll';
import { localFilesSource, type LocalModelFile } from '../../src/model/sources/localFilesSource';
import type { ModelFileSource } from '../../src/model/sources/modelFileSource';
import { bertFileList, resolveBertFiles, shardsOfIndex } from '../../src/model/sources/requiredFiles';

function safetensors(n: number): Uint8Array<ArrayBuffer> {
  const header = new TextEncoder().encode(JSON.stringify({ __metadata__: { format: 'pt' }, w: { dtype: 'F32', shape: [n], data_offsets: [0, 4 * n] } }));
  const out = new Uint8Array(8 + header.byteLength + 4 * n);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.byteLength), true);
  out.set(header, 8);
  return out;
}

const text = (s: string) => new TextEncoder().encode(s);
const at = (path: string, body: Uint8Array<ArrayBuffer> | string): LocalModelFile => ({ path, file: new Blob([typeof body === 'string' ? text(body) : body]) });
const CONFIG = '{"model_type":"bert"}';

function picked(path: string, body: string): File {
  // What <input webkitdirectory> gives: a File whose webkitRelativePath holds the path.
  const file = new File([body], path.split('/').at(-1)!);
  Object.defineProperty(file, 'webkitRelativePath', { value: path });
  return file;
}

async function read(source: ModelFileSource, file: string): Promise<string> {
  return new TextDecoder().decode(await source.fetch(file, () => {}));
}

describe('localFilesSource', () => {
  it('finds files by name in nested folders, the shallowest first, skipping hidden folders', async () => {
    const source = localFilesSource([
      picked('models/bert/onnx/config.json', '{"onnx":true}'),
      picked('models/bert/config.json', CONFIG),
      picked('models/bert/vocab.txt', '[PAD]\n'),
      picked('models/.cache/huggingface/tokenizer.json', '{}'),
      picked('models/bert/.git/lfs/model.safetensors', 'x'),
    ]);
    expect(source.kind).toBe('local');
    expect(source.label).toBe('models (local folder)');
    expect(await read(source, 'config.json')).toBe(CONFIG);
    expect(await read(source, 'onnx/config.json')).toBe('{"onnx":true}');
    expect(await source.has('tokenizer.json')).toBe(false);
    expect(await source.has('model.safetensors')).toBe(false);
    expect(await source.size!('vocab.txt')).toBe(6);
  });

  it('refuses to guess between two matches at the same depth', async () => {
    const source = localFilesSource([at('run/config.json', CONFIG), at('run/checkpoint-100/model.safetensors', safetensors(1)), at('run/checkpoint-200/model.safetensors', safetensors(1))]);
    await expect(source.fetch('model.safetensors', () => {})).rejects.toThrow(
      'model.safetensors is in 2 folders at the same level of run (local folder) (run/checkpoint-100/, run/checkpoint-200/). Pick the folder of the one model you want.',
    );
  });

  it('lists the files present when a file is missing', async () => {
    const source = localFilesSource([at('bert/config.json', CONFIG), at('bert/vocab.txt', 'a\n')]);
    await expect(source.fetch('model.safetensors', () => {})).rejects.toThrow('No model.safetensors in bert (local folder). Files present: bert/config.json, bert/vocab.txt.');
  });

  it('reads with byte progress that adds up to the file size', async () => {
    const big = new Uint8Array(200_000).map((_, i) => i & 255);
    const source = localFilesSource([{ path: 'weights.bin', file: new Blob([big]) }]);
    let sum = 0;
    const totals = new Set<number | null>();
    const bytes = await source.fetch('weights.bin', (delta, total) => {
      sum += delta;
      totals.add(total);
    });
    expect(new Uint8Array(bytes)).toEqual(big);
    expect(sum).toBe(big.byteLength);
    expect([...totals]).toEqual([big.byteLength]);
  });

  it('recognises a Git LFS pointer and an incomplete safetensors file', async () => {
    const pointer = 'version https://git-lfs.github.com/spec/v1\noid sha256:' + 'a'.repeat(64) + '\nsize 17563104\n';
    const source = localFilesSource([at('m/model.safetensors', pointer), at('n/model.safetensors', safetensors(100).slice(0, 200))]);
    await expect(source.fetch('m/model.safetensors', () => {})).rejects.toThrow(/is a Git LFS pointer .* Run "git lfs pull"/);
    await expect(source.fetch('n/model.safetensors', () => {})).rejects.toThrow(/is incomplete: 200 bytes, but its header describes \d+/);
  });

  it('names a dropped set of loose files by their count', () => {
    expect(localFilesSource([at('config.json', CONFIG), at('vocab.txt', 'a')]).label).toBe('2 local files');
  });
});

describe('resolveBertFiles', () => {
  it('picks safetensors weights, tokenizer.json over vocab.txt, and the optional tokenizer config', async () => {
    const source = localFilesSource([at('b/config.json', CONFIG), at('b/model.safetensors', safetensors(4)), at('b/tokenizer.json', '{}'), at('b/vocab.txt', 'a'), at('b/tokenizer_config.json', '{}')]);
    expect(await resolveBertFiles(source)).toEqual({ config: 'config.json', weights: ['model.safetensors'], tokenizer: 'tokenizer.json', tokenizerConfig: 'tokenizer_config.json' });
    const vocabOnly = localFilesSource([at('b/config.json', CONFIG), at('b/model.safetensors', safetensors(4)), at('b/vocab.txt', 'a')]);
    const files = await resolveBertFiles(vocabOnly);
    expect(files).toEqual({ config: 'config.json', weights: ['model.safetensors'], tokenizer: 'vocab.txt' });
    expect(bertFileList(files)).toEqual(['config.json', 'vocab.txt', 'model.safetensors']);
  });

  it('lists exactly what is missing', async () => {
    const source = localFilesSource([at('b/README.md', '# hi')]);
    await expect(resolveBertFiles(source)).rejects.toThrow(
      'b (local folder) is not a complete BERT-family model. Missing: config.json (the model\'s configuration); a tokenizer: tokenizer.json or vocab.txt; weights: model.safetensors (or a sharded model.safetensors.index.json).',
    );
    const noTokenizer = localFilesSource([at('b/config.json', CONFIG), at('b/model.safetensors', safetensors(1))]);
    await expect(resolveBertFiles(noTokenizer)).rejects.toThrow(/Missing: a tokenizer: tokenizer\.json or vocab\.txt\.$/);
  });

  it('explains that only safetensors is supported when the model has only pytorch_model.bin', async () => {
    const source = localFilesSource([at('b/config.json', CONFIG), at('b/pytorch_model.bin', new Uint8Array(8)), at('b/vocab.txt', 'a')]);
    const error = await resolveBertFiles(source).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toMatch(/has weights only as pytorch_model\.bin; RAPT Lab reads only safetensors \(model\.safetensors\)/);
    expect((error as Error).message).toMatch(/refs\/pr\/1/);
  });

  it('resolves a sharded checkpoint to the shards of its index, and names missing shards', async () => {
    const index = { metadata: {}, weight_map: { 'a.weight': 'model-00002-of-00002.safetensors', 'b.weight': 'model-00001-of-00002.safetensors', 'c.bias': 'model-00002-of-00002.safetensors' } };
    const files = [at('b/config.json', CONFIG), at('b/vocab.txt', 'a'), at('b/model.safetensors.index.json', JSON.stringify(index)), at('b/model-00001-of-00002.safetensors', safetensors(3))];
    await expect(resolveBertFiles(localFilesSource(files))).rejects.toThrow(
      'Missing: weight shard model-00002-of-00002.safetensors (named in model.safetensors.index.json).',
    );
    const complete = localFilesSource([...files, at('b/model-00002-of-00002.safetensors', safetensors(2))]);
    const resolved = await resolveBertFiles(complete);
    expect(resolved.weights).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(resolved.weightsIndex).toBe('model.safetensors.index.json');
    expect(bertFileList(resolved)).toEqual(['config.json', 'vocab.txt', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  });

  it('refuses shard names that would leave the model (the index is untrusted)', () => {
    for (const shard of ['../evil.safetensors', 'https://evil.com/x.safetensors', '/abs.safetensors', '%2e%2e/x.safetensors', 'model.bin', 7]) {
      expect(() => shardsOfIndex({ weight_map: { w: shard } }, 'test')).toThrow(ModelLoadError);
    }
    expect(() => shardsOfIndex({}, 'test')).toThrow('model.safetensors.index.json in test has no weight_map object.');
    expect(() => shardsOfIndex({ weight_map: {} }, 'test')).toThrow('lists no tensors');
  });
});

describe('downloadAll', () => {
  const model = [at('b/config.json', CONFIG), at('b/vocab.txt', 'x'.repeat(70_000)), at('b/model.safetensors', safetensors(50_000))];
  const sizes = model.map((m) => m.file.size);
  const total = sizes.reduce((s, n) => s + n, 0);

  it('reports combined progress that adds up, with the total known from the start', async () => {
    const events: DownloadProgress[] = [];
    const files = await downloadAll(localFilesSource(model), ['config.json', 'vocab.txt', 'model.safetensors', 'config.json'], (p) => events.push({ ...p }));
    expect([...files.keys()].sort()).toEqual(['config.json', 'model.safetensors', 'vocab.txt']);
    expect(events.every((e) => e.totalBytes === total && e.filesTotal === 3)).toBe(true);
    expect(events.at(-1)).toMatchObject({ loadedBytes: total, totalBytes: total, filesDone: 3 });
    expect(new Set(events.map((e) => e.file))).toEqual(new Set(['config.json', 'vocab.txt', 'model.safetensors']));
  });

  it('leaves the total unknown until every size is known when the source cannot tell sizes', async () => {
    const local = localFilesSource(model);
    const noSizes: ModelFileSource = { kind: 'local', label: 'no sizes', has: local.has, fetch: (f, onBytes, signal) => local.fetch(f, (d) => onBytes(d, null), signal) };
    const events: DownloadProgress[] = [];
    await downloadAll(noSizes, ['config.json', 'model.safetensors'], (p) => events.push({ ...p }), { concurrency: 1 });
    expect(events[0].totalBytes).toBeNull();
    expect(events.at(-1)).toMatchObject({ loadedBytes: sizes[0] + sizes[2], totalBytes: sizes[0] + sizes[2] });
  });

  it('is all or nothing: one failure cancels the rest and returns nothing', async () => {
    const local = localFilesSource(model);
    const signals: AbortSignal[] = [];
    const failing: ModelFileSource = {
      kind: 'local',
      label: 'b (local folder)',
      has: local.has,
      size: local.size,
      async fetch(file, onBytes, signal) {
        signals.push(signal!);
        if (file === 'vocab.txt') {
          await new Promise((resolve) => setTimeout(resolve, 5));
          throw new ModelLoadError('No vocab.txt in b (local folder).');
        }
        // A slow file: still running when vocab.txt fails, so it must see the cancel.
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, 2_000);
          signal!.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(new DOMException('aborted', 'AbortError'));
          });
        });
        return local.fetch(file, onBytes, signal);
      },
    };
    const error = await downloadAll(failing, ['model.safetensors', 'vocab.txt', 'config.json'], () => {}, { concurrency: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toBe('No vocab.txt in b (local folder). Nothing was loaded (0 of 3 files had arrived).');
    expect(signals[0].aborted).toBe(true);
  });

  it('names the file when a source fails with an unexpected error', async () => {
    const local = localFilesSource(model);
    const broken: ModelFileSource = { ...local, label: 'b', fetch: async () => { throw new TypeError('boom'); } };
    await expect(downloadAll(broken, ['config.json'], () => {})).rejects.toThrow('Could not load config.json of b: boom Nothing was loaded (0 of 1 files had arrived).');
  });

  it('rejects with the AbortError when the caller cancels', async () => {
    const controller = new AbortController();
    const pending = downloadAll(localFilesSource(model), ['model.safetensors', 'vocab.txt'], () => controller.abort(), { signal: controller.signal });
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    const already = new AbortController();
    already.abort();
    await expect(downloadAll(localFilesSource(model), ['config.json'], () => {}, { signal: already.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
