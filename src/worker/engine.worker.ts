// The engine: a module Web Worker that owns the GPU device, the loaded model and all kernels. The UI thread
// never touches GPU objects; it calls this through comlink (worker/engineClient.ts).

import * as Comlink from 'comlink';
import { openDevice } from '../gpu/device';
import { GpuRuntime } from '../gpu/runtime';
import { loadBert } from '../model/bert/loadBert';
import { loadUseLite } from '../model/bundled/useLite';
import { fetchJson } from '../model/fetchWithProgress';
import { createModelForward, type ModelForward } from '../model/modelForward';
import { openModelSource, type ModelSourceSpec } from '../model/modelSourceSpec';
import { rowDistance } from '../model/embeddingTable';
import type { LoadedModel } from '../model/loadedModel';
import { DeviceEmbeddingTable } from '../privacy/deviceTable';
import { Privatizer } from '../privacy/privatize';
import { sweepEta } from '../privacy/statistics/etaSweep';
import { trainCondition } from '../training/trainCondition';
import type { EngineApi, FillMaskPrediction, PrivatizedText } from './engineApi';

const assetBase = new URL(`${import.meta.env.BASE_URL}generated/`, self.location.origin).href;

interface Loaded {
  model: LoadedModel;
  table: DeviceEmbeddingTable;
  privatizer: Privatizer;
  forward: ModelForward;
  /** What loadModel was given, to skip reloading the same model. */
  sourceKey: string;
}

/** Public text for the attacker's prior of models without unigram scores (the bundled IMDB sentences). */
async function publicText(): Promise<string[]> {
  const data = (await fetchJson(`${assetBase}data/imdb-sentences.json`, () => {})) as { items: { text: string }[] };
  return data.items.map((i) => i.text);
}

function sourceKey(spec: ModelSourceSpec): string {
  if (spec.kind === 'bundled') return 'bundled';
  if (spec.kind === 'hub') return `hub:${spec.id}@${spec.revision ?? 'main'}`;
  return `local:${spec.files.map((f) => `${f.webkitRelativePath || f.name}:${f.size}:${f.lastModified}`).join('|')}`;
}

let runtime: GpuRuntime | null = null;
let loaded: Loaded | null = null;
let cancelRequested = false;

function requireModel(): Loaded {
  if (!loaded) throw new Error('No model is loaded yet.');
  return loaded;
}

/** Renders a token sequence as text: pieces joined, word-boundary marks as spaces. */
function renderTokens(model: LoadedModel, ids: number[]): string {
  return ids.map((id) => model.tokenizer.displayOf(id)).join('').replace(/^ /, '');
}

const engine: EngineApi = {
  async init() {
    runtime ??= new GpuRuntime(await openDevice());
    return runtime.report;
  },

  async loadModel(source, onProgress) {
    if (!runtime) throw new Error('The engine is not initialised.');
    const spec: ModelSourceSpec = typeof source === 'string' ? { kind: 'bundled' } : source;
    if (typeof source === 'string' && source !== 'use-lite') throw new Error(`Unknown model ${String(source)}.`);
    const key = sourceKey(spec);
    if (loaded?.sourceKey === key) return loaded.model.info;
    const progress = (p: Parameters<NonNullable<typeof onProgress>>[0]) => onProgress?.(p);
    const model =
      spec.kind === 'bundled'
        ? await loadUseLite(`${assetBase}models/use-lite/`, progress)
        : await loadBert(openModelSource(spec), progress, await publicText());
    // Upload the new model fully before releasing the old one: a failure leaves the old model usable.
    const table = new DeviceEmbeddingTable(runtime, model.table);
    let forward: ModelForward;
    let privatizer: Privatizer;
    try {
      privatizer = await Privatizer.create(runtime, table);
      forward = await createModelForward(runtime, model);
    } catch (e) {
      table.destroy();
      throw e;
    }
    if (loaded) {
      loaded.privatizer.destroy();
      loaded.table.destroy();
      loaded.forward.destroy();
    }
    model.info.gpuBytes = table.rows.size + table.candidate.size + forward.weightBytes;
    loaded = { model, table, privatizer, forward, sourceKey: key };
    return model.info;
  },

  async currentModel() {
    return loaded?.model.info ?? null;
  },

  async embedSentences(texts) {
    const { model, forward } = requireModel();
    return forward.embed(texts.map((t) => model.tokenizer.encodeWithOffsets(t).ids));
  },

  async fillMask(text, topK) {
    const { model, forward } = requireModel();
    if (!forward.maskedLogits) throw new Error(`${model.info.name} has no masked-LM head; fill-mask needs a BertForMaskedLM checkpoint.`);
    const ids = model.tokenizer.encodeWithOffsets(text).ids;
    const maskId = 'specialIds' in model.tokenizer ? (model.tokenizer as { specialIds: { mask: number } }).specialIds.mask : -1;
    const positions = ids.flatMap((id, p) => (id === maskId ? [p] : []));
    if (positions.length === 0) throw new RangeError('Put [MASK] where a word should be predicted.');
    const logits = await forward.maskedLogits([ids], positions.map((p) => [0, p] as [number, number]));
    const V = model.info.vocabSize;
    return positions.map((position, i): FillMaskPrediction => {
      const row = logits.subarray(i * V, (i + 1) * V);
      let max = -Infinity;
      for (const v of row) max = Math.max(max, v);
      let total = 0;
      for (const v of row) total += Math.exp(v - max);
      const top = [...row.keys()].sort((a, b) => row[b] - row[a]).slice(0, topK);
      return { position, candidates: top.map((id) => ({ id, token: model.tokenizer.displayOf(id).trim(), probability: Math.exp(row[id] - max) / total })) };
    });
  },

  async tokenize(texts) {
    const { model } = requireModel();
    return texts.map((t) => model.tokenizer.encodeWithOffsets(t).ids);
  },

  async privatizeTexts({ texts, eta, seed }) {
    const { model, privatizer } = requireModel();
    if (!(eta > 0)) throw new RangeError(`η must be positive, got ${eta}`);
    const encoded = texts.map((t) => model.tokenizer.encodeWithOffsets(t));
    const rows = encoded.flatMap((e, example) => e.ids.map((id, position) => ({ id, example, position, draw: 0 })));
    const out = await privatizer.privatize(rows, { invEta: 1 / eta, seed });
    const ranks = await privatizer.ranks(rows.map((r, i) => ({ query: out.ids[i], target: r.id })));
    let i = 0;
    return encoded.map((e): PrivatizedText => {
      const tokens = e.ids.map((original, position) => {
        const output = out.ids[i];
        const token = {
          position,
          original,
          output,
          originalText: model.tokenizer.displayOf(original),
          outputText: model.tokenizer.displayOf(output),
          span: e.spans[position],
          changed: output !== original,
          passThrough: !model.table.candidate[original],
          distanceMoved: rowDistance(model.table, original, output),
          noiseRadius: out.radius[i],
          rankOfOriginal: ranks[i],
        };
        i++;
        return token;
      });
      return {
        normalized: e.normalized,
        tokens,
        privatizedText: renderTokens(model, tokens.map((t) => t.output)),
        changedCount: tokens.filter((t) => t.changed).length,
      };
    });
  },

  async sweepEta(request, onProgress, onEta) {
    const { model, privatizer } = requireModel();
    cancelRequested = false;
    const examples = request.texts.map((t) => model.tokenizer.encodeWithOffsets(t).ids);
    return sweepEta(
      { examples, etas: request.etas, seed: request.seed, draws: request.draws, bayes: request.bayes },
      {
        privatizer,
        table: model.table,
        logPrior: model.logPrior,
        cancelled: () => cancelRequested,
        onProgress: (fraction, stage) => onProgress?.({ fraction, stage }),
        onEta: (stats, index) => onEta?.(stats, index),
      },
    );
  },

  async train(request, onProgress, onCheckpoint) {
    const { model, privatizer, forward } = requireModel();
    if (!runtime) throw new Error('The engine is not initialised.');
    cancelRequested = false;
    return trainCondition(
      { runtime, model, privatizer, encoder: forward.useLite, bert: forward.bert },
      request,
      { onProgress: (p) => onProgress?.(p), onCheckpoint: onCheckpoint ? (c) => onCheckpoint(c) : undefined, cancelled: () => cancelRequested },
    );
  },

  cancel() {
    cancelRequested = true;
  },

  async whenDeviceLost() {
    if (!runtime) throw new Error('The engine is not initialised.');
    return (await runtime.lost).message;
  },
};

Comlink.expose(engine);
