// The Model panel's state against a fake engine and host: a load switches the explorer to the new model
// only on success, a failure leaves the old model and shows the engine's message, running curves stop
// first, and the checks and the cached-models list talk to the right places.

import { describe, expect, it, vi } from 'vitest';
import { ModelLoadError } from '../../src/model/fetchWithProgress';
import type { LoadProgress, ModelInfo } from '../../src/model/loadedModel';
import type { ModelSourceSpec } from '../../src/model/modelSourceSpec';
import { hubAddress } from '../../src/model/sources/hubAddress';
import { MemoryModelCache } from '../../src/model/sources/modelCache';
import { ModelPanelState, describeSpec, type ModelEngine, type ModelPanelHost } from '../../src/ui/modelPanelState.svelte';

function info(name: string, hasMlmHead = true): ModelInfo {
  return {
    id: name,
    name,
    source: name,
    license: 'x',
    vocabSize: 98,
    embeddingDim: 32,
    candidateCount: 90,
    excluded: [],
    priorSource: 'p',
    architecture: { kind: 'bert', description: 'd', layers: 2, hiddenSize: 32, heads: 4, maxPositions: 40, parameterCount: 1000, hasMlmHead, sentenceVector: 'mean' },
    gpuBytes: 1,
  };
}

function setup(engineOverrides: Partial<ModelEngine> = {}, cache = new MemoryModelCache()) {
  const calls: string[] = [];
  const engine: ModelEngine = {
    loadModel: vi.fn(async (spec: ModelSourceSpec, onProgress?: (p: LoadProgress) => void) => {
      onProgress?.({ stage: 'downloading', loadedBytes: 1, totalBytes: 2 });
      return info(spec.kind === 'hub' ? spec.id : spec.kind);
    }),
    embedSentences: vi.fn(async (texts: string[]) => ({ dim: 2, vectors: new Float32Array(texts.flatMap((_, i) => (i === 2 ? [0, 1] : [1, i * 0.1]))) })),
    fillMask: vi.fn(async () => [{ position: 6, candidates: [{ id: 40, token: 'mat', probability: 0.5 }] }]),
    ...engineOverrides,
  };
  type FakeHost = { -readonly [K in keyof ModelPanelHost]: ModelPanelHost[K] } & { errors: unknown[] };
  const host: FakeHost = {
    engine,
    model: info('bundled'),
    modelChanging: false,
    errors: [],
    setModel: vi.fn((m: ModelInfo) => {
      calls.push(`setModel ${m.name}`);
      host.model = m;
    }),
    stopCurves: vi.fn(async () => {
      calls.push('stopCurves');
    }),
    reportError(e: unknown) {
      host.errors.push(e);
    },
  };
  const panel = new ModelPanelState(host, cache);
  return { panel, host, engine, calls, cache };
}

describe('ModelPanelState: loading', () => {
  it('builds the spec from the chosen source', () => {
    const { panel } = setup();
    panel.sourceKind = 'hub';
    expect(panel.spec()).toBeNull();
    expect(panel.canLoad).toBe(false);
    panel.hubId = '  prajjwal1/bert-tiny ';
    expect(panel.spec()).toEqual({ kind: 'hub', id: 'prajjwal1/bert-tiny' });
    panel.hubRevision = 'refs/pr/1';
    expect(panel.spec()).toEqual({ kind: 'hub', id: 'prajjwal1/bert-tiny', revision: 'refs/pr/1' });
    panel.sourceKind = 'bundled';
    expect(panel.spec()).toEqual({ kind: 'bundled' });
    panel.sourceKind = 'local';
    expect(panel.canLoad).toBe(false);
    const files = [new File(['{}'], 'config.json'), new File(['x'], 'vocab.txt')];
    panel.pickFolder(files);
    expect(panel.local?.label).toBe('2 local files');
    expect(panel.spec()).toEqual({ kind: 'local', files, label: '2 local files' });
    panel.dropFolder(files.map((file) => ({ path: `m/${file.name}`, file })));
    expect(panel.local?.label).toBe('m (local folder)');
    expect(describeSpec({ kind: 'hub', id: 'a/b', revision: 'v1' })).toBe('a/b @ v1 (Hugging Face Hub)');
  });

  it('stops running curves, loads, then switches the explorer to the new model', async () => {
    const { panel, host, calls, engine } = setup();
    panel.sourceKind = 'hub';
    panel.hubId = 'test-org/tiny-bert';
    panel.similarity = { sentences: ['a', 'b'], matrix: [[1]], dim: 2, modelName: 'old' };
    let sawProgress: LoadProgress | null = null;
    (engine.loadModel as ReturnType<typeof vi.fn>).mockImplementationOnce(async (spec: ModelSourceSpec, onProgress?: (p: LoadProgress) => void) => {
      calls.push('loadModel');
      expect(host.modelChanging).toBe(true);
      expect(panel.loading).toBe(true);
      onProgress?.({ stage: 'downloading config.json', loadedBytes: 10, totalBytes: 100 });
      sawProgress = panel.progress;
      return info((spec as { id: string }).id);
    });
    expect(await panel.load()).toBe(true);
    expect(calls).toEqual(['stopCurves', 'loadModel', 'setModel test-org/tiny-bert']);
    expect(sawProgress).toEqual({ stage: 'downloading config.json', loadedBytes: 10, totalBytes: 100 });
    expect(host.model?.name).toBe('test-org/tiny-bert');
    expect(panel.loading).toBe(false);
    expect(host.modelChanging).toBe(false);
    expect(panel.similarity).toBeNull();
    expect(host.errors).toEqual([]);
  });

  it('a failed load reports the engine message and keeps the old model', async () => {
    const { panel, host } = setup({
      loadModel: vi.fn(async () => {
        throw new ModelLoadError('test-org/tiny-bert is not a complete BERT-family model. Missing: weights');
      }),
    });
    panel.hubId = 'test-org/tiny-bert';
    expect(await panel.load()).toBe(false);
    expect(host.setModel).not.toHaveBeenCalled();
    expect(host.model?.name).toBe('bundled');
    expect(host.errors).toHaveLength(1);
    expect((host.errors[0] as Error).message).toContain('Missing: weights');
    expect(panel.loading).toBe(false);
    expect(host.modelChanging).toBe(false);
  });

  it('refuses to load while another load (an experiment run) is changing the model', async () => {
    const { panel, host, engine } = setup();
    panel.hubId = 'x/y';
    host.modelChanging = true;
    expect(panel.canLoad).toBe(false);
    expect(await panel.load()).toBe(false);
    expect(engine.loadModel).not.toHaveBeenCalled();
    expect(host.errors).toHaveLength(1);
    expect(host.modelChanging).toBe(true);
  });

  it('does nothing without an engine or a complete source', async () => {
    const { panel, host, engine } = setup();
    panel.hubId = '';
    expect(await panel.load()).toBe(false);
    (host as { engine: ModelEngine | null }).engine = null;
    expect(await panel.load({ kind: 'bundled' })).toBe(false);
    expect(engine.loadModel).not.toHaveBeenCalled();
  });
});

describe('ModelPanelState: checks', () => {
  it('similarity: embeds the lines and computes cosines with a unit diagonal', async () => {
    const { panel, engine } = setup();
    panel.similarityText = 'one\ntwo\nthree';
    await panel.runSimilarity();
    expect(engine.embedSentences).toHaveBeenCalledWith(['one', 'two', 'three']);
    const result = panel.similarity!;
    expect(result.sentences).toEqual(['one', 'two', 'three']);
    expect(result.matrix.map((r, i) => r[i])).toEqual([1, 1, 1]);
    expect(result.matrix[0][2]).toBeCloseTo(0, 6);
    expect(result.modelName).toBe('bundled');
  });

  it('similarity and fill-mask refuse bad input without calling the engine', async () => {
    const { panel, engine, host } = setup();
    panel.similarityText = 'only one';
    await panel.runSimilarity();
    panel.fillMaskText = 'no mask';
    await panel.runFillMask();
    expect(engine.embedSentences).not.toHaveBeenCalled();
    expect(engine.fillMask).not.toHaveBeenCalled();
    expect(host.errors.map((e) => (e as Error).name)).toEqual(['RangeError', 'RangeError']);
  });

  it('fill-mask asks for the top 5 and keeps the answer', async () => {
    const { panel, engine } = setup();
    panel.fillMaskText = ' The cat sat on the [MASK]. ';
    await panel.runFillMask();
    expect(engine.fillMask).toHaveBeenCalledWith('The cat sat on the [MASK].', 5);
    expect(panel.fillMask?.predictions[0].candidates[0].token).toBe('mat');
  });

  it('engine failures in a check become error boxes', async () => {
    const { panel, host } = setup({ embedSentences: vi.fn(async () => Promise.reject(new Error('GPU busy'))) });
    await panel.runSimilarity();
    expect(panel.similarityRunning).toBe(false);
    expect((host.errors[0] as Error).message).toBe('GPU busy');
  });
});

describe('ModelPanelState: cached models', () => {
  it('lists cached Hub models with usage and deletes one', async () => {
    const cache = new MemoryModelCache();
    const a = hubAddress('test-org/tiny-bert');
    await cache.put(a.listingCacheKey, new ArrayBuffer(10));
    await cache.put(a.fileUrl('config.json', 'c'.repeat(40)), new ArrayBuffer(20));
    await cache.put(hubAddress('other').fileUrl('vocab.txt'), new ArrayBuffer(5));
    const { panel } = setup({}, cache);
    expect(panel.cacheAvailable).toBe(true);
    await panel.refreshCache();
    expect(panel.cachedModels?.map((m) => [m.id, m.files, m.bytes])).toEqual([
      ['other', 1, 5],
      ['test-org/tiny-bert', 1, 30],
    ]);
    expect(panel.usage).toMatchObject({ cachedBytes: 35, files: 3 });
    await panel.deleteCached('test-org/tiny-bert');
    expect(panel.cachedModels?.map((m) => m.id)).toEqual(['other']);
    expect(panel.usage).toMatchObject({ cachedBytes: 5, files: 1 });
    expect(panel.deleting).toBeNull();
  });

  it('a Hub load refreshes the list; without Cache Storage there is no list', async () => {
    const { panel } = setup();
    panel.hubId = 'x/y';
    await panel.load();
    await vi.waitFor(() => expect(panel.cachedModels).toEqual([]));
    const bare = new ModelPanelState(setup().host, null);
    expect(bare.cacheAvailable).toBe(false);
    await bare.refreshCache();
    expect(bare.cachedModels).toBeNull();
  });

  it('loadCached loads the id from the Hub source', async () => {
    const { panel, engine } = setup();
    panel.sourceKind = 'local';
    await panel.loadCached('test-org/tiny-bert');
    expect(engine.loadModel).toHaveBeenCalledWith({ kind: 'hub', id: 'test-org/tiny-bert' }, expect.any(Function));
    expect(panel.sourceKind).toBe('hub');
  });
});
