// The Model panel's state: which model to load (bundled, a Hugging Face Hub id, a local folder), the load
// with its progress, the sanity checks (sentence similarity, fill-mask) and the cached Hub models. The
// components render these $state fields and call the methods; the methods talk to the engine through the
// host (the privacy explorer, which owns the engine and shows errors) and to the browser's model cache.
//
// A load replaces the engine's model only when the new one has loaded fully; on failure the error box shows
// the engine's message and the old model stays in use. On success the explorer switches to the new model
// (explorer.setModel: stale output and curves cleared, the current text privatised again).

import type { LoadProgress, ModelInfo } from '../model/loadedModel';
import type { ModelSourceSpec } from '../model/modelSourceSpec';
import { deleteCachedHubModel } from '../model/sources/hubSource';
import type { CacheUsage, ModelCache } from '../model/sources/modelCache';
import type { FillMaskPrediction } from '../worker/engineApi';
import { callback } from '../worker/engineClient';
import { LatestOnly } from './engineQueue';
import {
  DEFAULT_FILL_MASK_TEXT,
  DEFAULT_SIMILARITY_SENTENCES,
  FILL_MASK_TOP_K,
  MAX_SANITY_TEXT_CHARS,
  cosineSimilarityMatrix,
  groupCachedHubModels,
  hasMaskToken,
  localFolderLabel,
  parseSentences,
  pathOfFile,
  type CachedHubModel,
  type FolderFile,
} from './modelPanelLogic';

export type ModelSourceKind = 'bundled' | 'hub' | 'local';

/** What the panel needs of the engine (a comlink proxy in the app, a fake in tests). */
export interface ModelEngine {
  loadModel(source: ModelSourceSpec, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo>;
  embedSentences(texts: string[]): Promise<{ dim: number; vectors: Float32Array }>;
  fillMask(text: string, topK: number): Promise<FillMaskPrediction[]>;
}

/** What the panel needs of the privacy explorer. */
export interface ModelPanelHost {
  readonly engine: ModelEngine | null;
  readonly model: ModelInfo | null;
  modelChanging: boolean;
  setModel(info: ModelInfo): void;
  stopCurves(): Promise<void>;
  reportError(e: unknown): void;
}

export interface LocalSelection {
  label: string;
  files: File[];
  paths: string[];
}

export interface SimilarityResult {
  sentences: string[];
  matrix: number[][];
  dim: number;
  /** The model the vectors came from. */
  modelName: string;
}

export interface FillMaskResult {
  text: string;
  predictions: FillMaskPrediction[];
  modelName: string;
}

export class ModelPanelState {
  sourceKind = $state<ModelSourceKind>('hub');
  hubId = $state('');
  hubRevision = $state('');
  local = $state.raw<LocalSelection | null>(null);

  loading = $state(false);
  /** What is being loaded ("prajjwal1/bert-tiny (Hugging Face Hub)"), shown next to the progress bar. */
  loadingWhat = $state('');
  progress = $state.raw<LoadProgress | null>(null);

  similarityText = $state(DEFAULT_SIMILARITY_SENTENCES);
  similarity = $state.raw<SimilarityResult | null>(null);
  similarityRunning = $state(false);
  fillMaskText = $state(DEFAULT_FILL_MASK_TEXT);
  fillMask = $state.raw<FillMaskResult | null>(null);
  fillMaskRunning = $state(false);

  /** null: the browser has no Cache Storage here (models are downloaded on every load). */
  cachedModels = $state.raw<CachedHubModel[] | null>(null);
  usage = $state.raw<CacheUsage | null>(null);
  deleting = $state<string | null>(null);

  readonly #host: ModelPanelHost;
  readonly #cache: ModelCache | null;
  readonly #cacheRefreshes = new LatestOnly();

  constructor(host: ModelPanelHost, cache: ModelCache | null) {
    this.#host = host;
    this.#cache = cache;
  }

  /** Whether the chosen source has what it needs for Load. */
  get canLoad(): boolean {
    // modelChanging: another part of the app (an experiment run) is loading a model right now.
    if (this.loading || this.#host.modelChanging || !this.#host.engine) return false;
    if (this.sourceKind === 'hub') return this.hubId.trim() !== '';
    if (this.sourceKind === 'local') return (this.local?.files.length ?? 0) > 0;
    return true;
  }

  reportError(e: unknown): void {
    this.#host.reportError(e);
  }

  // ── choosing and loading ────────────────────────────────────────────────────────────────────────────

  /** Files from the folder picker (each with its webkitRelativePath). */
  pickFolder(files: readonly File[]): void {
    if (files.length === 0) return;
    const paths = files.map(pathOfFile);
    this.local = { label: localFolderLabel(paths), files: [...files], paths };
    this.sourceKind = 'local';
  }

  /** Files of a dropped folder (filesOfDrop), already named by their paths. */
  dropFolder(files: readonly FolderFile[]): void {
    if (files.length === 0) {
      this.#host.reportError(new RangeError('Nothing to open in that drop: drop the model folder itself (or its files).'));
      return;
    }
    const paths = files.map((f) => f.path);
    this.local = { label: localFolderLabel(paths), files: files.map((f) => f.file), paths };
    this.sourceKind = 'local';
  }

  /** The spec for the chosen source, or null when it is incomplete. */
  spec(): ModelSourceSpec | null {
    if (this.sourceKind === 'bundled') return { kind: 'bundled' };
    if (this.sourceKind === 'hub') {
      const id = this.hubId.trim();
      const revision = this.hubRevision.trim();
      return id ? { kind: 'hub', id, ...(revision ? { revision } : {}) } : null;
    }
    return this.local ? { kind: 'local', files: this.local.files, label: this.local.label } : null;
  }

  /** Loads the chosen model; resolves true when the engine now uses it. */
  async load(spec: ModelSourceSpec | null = this.spec()): Promise<boolean> {
    const engine = this.#host.engine;
    if (!engine || !spec || this.loading) return false;
    if (this.#host.modelChanging) {
      this.#host.reportError(new RangeError('Another model is being loaded right now (by an experiment run): try again when it has loaded.'));
      return false;
    }
    this.loading = true;
    this.progress = null;
    this.loadingWhat = describeSpec(spec);
    this.#host.modelChanging = true;
    try {
      // A sweep in flight uses the old model's buffers, which the engine frees when the new model is in.
      await this.#host.stopCurves();
      const info = await engine.loadModel(spec, callback((p: LoadProgress) => (this.progress = p)));
      this.similarity = null;
      this.fillMask = null;
      this.#host.setModel(info);
      return true;
    } catch (e) {
      this.#host.reportError(e);
      return false;
    } finally {
      this.loading = false;
      this.progress = null;
      this.#host.modelChanging = false;
      if (spec.kind === 'hub') void this.refreshCache();
    }
  }

  /** Loads a cached Hub model again (from the cached-models list). */
  loadCached(id: string): Promise<boolean> {
    this.sourceKind = 'hub';
    this.hubId = id;
    this.hubRevision = '';
    return this.load();
  }

  // ── sanity checks ───────────────────────────────────────────────────────────────────────────────────

  async runSimilarity(): Promise<void> {
    const engine = this.#host.engine;
    const model = this.#host.model;
    if (!engine || !model || this.similarityRunning) return;
    const parsed = parseSentences(this.similarityText);
    if (!parsed.ok) {
      this.#host.reportError(new RangeError(parsed.error));
      return;
    }
    this.similarityRunning = true;
    try {
      const { dim, vectors } = await engine.embedSentences(parsed.sentences);
      this.similarity = { sentences: parsed.sentences, matrix: cosineSimilarityMatrix(vectors, parsed.sentences.length, dim), dim, modelName: model.name };
    } catch (e) {
      this.#host.reportError(e);
    } finally {
      this.similarityRunning = false;
    }
  }

  async runFillMask(): Promise<void> {
    const engine = this.#host.engine;
    const model = this.#host.model;
    if (!engine || !model || this.fillMaskRunning) return;
    const text = this.fillMaskText.trim();
    if (!hasMaskToken(text)) {
      this.#host.reportError(new RangeError('Put [MASK] where a word should be predicted, e.g. “The cat sat on the [MASK].”'));
      return;
    }
    if (text.length > MAX_SANITY_TEXT_CHARS) {
      this.#host.reportError(new RangeError(`The text is longer than ${MAX_SANITY_TEXT_CHARS} characters.`));
      return;
    }
    this.fillMaskRunning = true;
    try {
      this.fillMask = { text, predictions: await engine.fillMask(text, FILL_MASK_TOP_K), modelName: model.name };
    } catch (e) {
      this.#host.reportError(e);
    } finally {
      this.fillMaskRunning = false;
    }
  }

  // ── cached models ───────────────────────────────────────────────────────────────────────────────────

  get cacheAvailable(): boolean {
    return this.#cache !== null;
  }

  async refreshCache(): Promise<void> {
    const cache = this.#cache;
    if (!cache) return;
    const ticket = this.#cacheRefreshes.next();
    try {
      const [files, usage] = await Promise.all([cache.list(), cache.usage()]);
      if (!this.#cacheRefreshes.isLatest(ticket)) return;
      this.cachedModels = groupCachedHubModels(files);
      this.usage = usage;
    } catch (e) {
      if (this.#cacheRefreshes.isLatest(ticket)) this.#host.reportError(e);
    }
  }

  async deleteCached(id: string): Promise<void> {
    const cache = this.#cache;
    if (!cache || this.deleting) return;
    this.deleting = id;
    try {
      await deleteCachedHubModel(cache, id);
    } catch (e) {
      this.#host.reportError(e);
    } finally {
      this.deleting = null;
      await this.refreshCache();
    }
  }
}

/** The source as a line of text ("prajjwal1/bert-tiny@v1 (Hugging Face Hub)"). */
export function describeSpec(spec: ModelSourceSpec): string {
  if (spec.kind === 'bundled') return 'the bundled model (USE-Lite)';
  if (spec.kind === 'hub') return `${spec.id}${spec.revision ? ` @ ${spec.revision}` : ''} (Hugging Face Hub)`;
  return spec.label ?? `a local folder (${spec.files.length} files)`;
}
