// The engine: a module Web Worker that owns the GPU device, the loaded model and all kernels. The UI thread
// never touches GPU objects; it calls this through comlink (worker/engineClient.ts).

import * as Comlink from 'comlink';
import { openDevice } from '../gpu/device';
import { GpuRuntime } from '../gpu/runtime';
import { loadUseLite } from '../model/bundled/useLite';
import { rowDistance } from '../model/embeddingTable';
import type { LoadedModel } from '../model/loadedModel';
import { DeviceEmbeddingTable } from '../privacy/deviceTable';
import { Privatizer } from '../privacy/privatize';
import { sweepEta } from '../privacy/statistics/etaSweep';
import type { EngineApi, PrivatizedText } from './engineApi';

const assetBase = new URL(`${import.meta.env.BASE_URL}generated/`, self.location.origin).href;

interface Loaded {
  model: LoadedModel;
  table: DeviceEmbeddingTable;
  privatizer: Privatizer;
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

  async loadModel(id, onProgress) {
    if (!runtime) throw new Error('The engine is not initialised.');
    if (loaded?.model.info.id === id) return loaded.model.info;
    if (id !== 'use-lite') throw new Error(`Unknown model ${String(id)}.`);
    const model = await loadUseLite(`${assetBase}models/use-lite/`, (p) => onProgress?.(p));
    loaded?.privatizer.destroy();
    loaded?.table.destroy();
    const table = new DeviceEmbeddingTable(runtime, model.table);
    loaded = { model, table, privatizer: await Privatizer.create(runtime, table) };
    return model.info;
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

  cancel() {
    cancelRequested = true;
  },

  async whenDeviceLost() {
    if (!runtime) throw new Error('The engine is not initialised.');
    return (await runtime.lost).message;
  },
};

Comlink.expose(engine);
