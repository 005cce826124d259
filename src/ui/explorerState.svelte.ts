// The privacy explorer's state and everything it asks the engine, as one runes class the components
// render. Flow: components call the methods here (setText, setEta, computeCurves, …); the methods call the
// engine worker and write the answers into $state fields; components re-render.
// Nothing here touches the DOM, so the logic it delegates to (inputs, etaGrid, curveSettings, corpusFile,
// engineQueue) is unit-tested in Node.

import type { AdapterReport } from '../gpu/device';
import { DatasetError, parseTable, type ParsedTable, type TableFormat } from '../data/tabular';
import { loadCorpus, sampleSentences } from '../experiments/privatizeExperiment';
import { fetchJson } from '../model/fetchWithProgress';
import type { LoadProgress, ModelInfo } from '../model/loadedModel';
import type { EtaStatistics } from '../privacy/statistics/etaSweep';
import type { PrivatizedText } from '../worker/engineApi';
import { callback, startEngine, type Engine } from '../worker/engineClient';
import { formatFor, guessTextColumn, selectCorpusTexts, type CorpusFile } from './corpusFile';
import { DEFAULT_CURVE_SETTINGS, validateCurveSettings, type CurveSettings } from './curveSettings';
import { LatestOnly } from './engineQueue';
import { describeError, isCancelled, isWebGpuUnavailable, webGpuMissingReason, type UiError } from './errorMessage';

export const DEFAULT_TEXT = 'The weather is lovely today, so we walked to the park.';
/** Where roughly half the tokens of the default text change on the bundled table. */
export const DEFAULT_ETA = 20;
export const DEFAULT_SEED = 1;
export const PRIVATIZE_DEBOUNCE_MS = 150;
export const MAX_TEXT_CHARS = 2000;
const ENGINE_SILENCE_S = 60;

const assetBase = `${import.meta.env.BASE_URL}generated/`;

export type Phase = 'starting' | 'loading' | 'ready' | 'no-webgpu' | 'failed';

export interface PrivatizeRequest {
  text: string;
  eta: number;
  seed: number;
}

/** A privatised text together with the request it answers (the inputs may have moved on since). */
export interface PrivatizeView {
  request: PrivatizeRequest;
  result: PrivatizedText;
}

export interface CurveRun {
  id: number;
  /** The requested grid, ascending; stats[i] belongs to etas[i] and stays null until it arrives. */
  etas: number[];
  stats: (EtaStatistics | null)[];
  label: string;
  draws: number;
  bayes: boolean;
  status: 'running' | 'done' | 'cancelled' | 'failed';
  progress: number;
  stage: string;
  seconds: number | null;
}

/** A dropped file whose format the extension does not tell: the picker asks for one. */
export interface FileAwaitingFormat {
  fileName: string;
  /** The format that was tried and failed, if any. */
  tried: TableFormat | null;
}

/** The corpus file plus a problem with the chosen column (shown in the picker, not as an error box). */
export interface CorpusFileView extends CorpusFile {
  problem: string | null;
}

export class Explorer {
  phase = $state<Phase>('starting');
  noWebGpuReason = $state('');
  adapter = $state.raw<AdapterReport | null>(null);
  model = $state.raw<ModelInfo | null>(null);
  loadProgress = $state.raw<LoadProgress | null>(null);
  errors = $state.raw<UiError[]>([]);
  /** True while the Model panel loads another model (the current one stays usable until it is replaced). */
  modelChanging = $state(false);
  /**
   * Another part of the app holding the engine for a long job (a run of the experiment workspace): curves
   * wait for it, and stopCurves() — called before a model is replaced — stops it too.
   */
  engineHolder = $state.raw<{ label: string; stop: () => Promise<void> } | null>(null);

  text = $state(DEFAULT_TEXT);
  eta = $state(DEFAULT_ETA);
  seed = $state(DEFAULT_SEED);
  privatized = $state.raw<PrivatizeView | null>(null);
  /** True from an input change until its answer is shown. */
  privatizePending = $state(false);

  curveSettings = $state<CurveSettings>({ ...DEFAULT_CURVE_SETTINGS });
  curve = $state.raw<CurveRun | null>(null);
  corpusFile = $state.raw<CorpusFileView | null>(null);
  fileAwaitingFormat = $state.raw<FileAwaitingFormat | null>(null);

  #engine: Engine | null = null;
  #terminate: (() => void) | null = null;
  readonly #privatizeTickets = new LatestOnly();
  #privatizeTimer: ReturnType<typeof setTimeout> | undefined;
  #nextErrorId = 1;
  #nextCurveId = 1;
  /** Settles when the running curve computation has stopped (done, cancelled or failed). */
  #curveSettled: Promise<void> = Promise.resolve();
  #bundledTexts: Promise<{ name: string; texts: string[] }> | null = null;
  #corpusContent: { fileName: string; content: string } | null = null;
  #corpusTable: { format: TableFormat; table: ParsedTable } | null = null;

  /** The engine, for the other panels (the Model panel loads models and runs its checks through it). */
  get engine(): Engine | null {
    return this.#engine;
  }

  /** Whether a curve computation is holding the engine (privatise requests wait behind it). */
  get curvesRunning(): boolean {
    return this.curve?.status === 'running';
  }

  // ── start-up ────────────────────────────────────────────────────────────────────────────────────────

  async start(env = { isSecureContext: globalThis.isSecureContext, hasGpu: Boolean(globalThis.navigator?.gpu) }): Promise<void> {
    // The UI thread checks first: a worker has its own navigator, and a page without WebGPU should not
    // have to download and start the engine to find out.
    const missing = webGpuMissingReason(env);
    if (missing) {
      this.noWebGpuReason = missing;
      this.phase = 'no-webgpu';
      return;
    }
    const { engine, terminate } = startEngine();
    this.#engine = engine;
    this.#terminate = terminate;
    // A worker that failed to load never answers (comlink waits forever): say so rather than spin.
    const silent = setTimeout(
      () => this.reportError(Object.assign(new Error(`The GPU engine has not answered for ${ENGINE_SILENCE_S} seconds. Its worker may have failed to load; reloading the page usually helps.`), { name: 'EngineTimeout' })),
      ENGINE_SILENCE_S * 1000,
    );
    try {
      this.adapter = await engine.init();
    } catch (e) {
      if (isWebGpuUnavailable(e)) {
        this.noWebGpuReason = describeError(e).message;
        this.phase = 'no-webgpu';
      } else {
        this.#fail(e);
      }
      return;
    } finally {
      clearTimeout(silent);
    }
    // A lost device (driver reset, long background) makes every later call fail: say so once, plainly.
    engine.whenDeviceLost().then(
      (message) => this.#fail(Object.assign(new Error(message), { name: 'GpuError' })),
      () => {},
    );
    this.phase = 'loading';
    try {
      this.model = await engine.loadModel('use-lite', callback((p: LoadProgress) => (this.loadProgress = p)));
    } catch (e) {
      this.#fail(e);
      return;
    }
    this.phase = 'ready';
    // The teaching view opens with an answer and a curve: privatise the default text, then sweep η over it
    // (without the slow Bayes attack). Later curves run only when asked.
    await this.#privatize(this.#privatizeTickets.next());
    await this.computeCurves({ auto: true });
  }

  stop(): void {
    clearTimeout(this.#privatizeTimer);
    this.#terminate?.();
    this.#engine = null;
  }

  #fail(e: unknown): void {
    this.reportError(e);
    this.phase = 'failed';
  }

  // ── errors ──────────────────────────────────────────────────────────────────────────────────────────

  reportError(e: unknown): void {
    const error: UiError = { id: this.#nextErrorId++, ...describeError(e) };
    // The same failure repeated (every keystroke after a GPU loss) shows once.
    if (this.errors.some((x) => x.name === error.name && x.message === error.message)) return;
    this.errors = [...this.errors, error];
  }

  dismissError(id: number): void {
    this.errors = this.errors.filter((e) => e.id !== id);
  }

  // ── model ───────────────────────────────────────────────────────────────────────────────────────────

  /**
   * The engine now holds another model: everything shown for the old one (privatised text, curves) is stale.
   * Clears it and privatises the current text with the new model; curves are computed again when asked.
   */
  setModel(info: ModelInfo): void {
    this.model = info;
    this.loadProgress = null;
    this.privatized = null;
    if (!this.curvesRunning) this.curve = null;
    clearTimeout(this.#privatizeTimer);
    if (this.phase !== 'ready') return;
    // A new ticket also drops answers (and failures) of requests made for the old model.
    const ticket = this.#privatizeTickets.next();
    this.privatizePending = true;
    void this.#privatize(ticket);
  }

  /** Cancels a running curve computation and resolves once it has stopped (before the model is replaced). */
  async stopCurves(): Promise<void> {
    await this.engineHolder?.stop();
    if (!this.curvesRunning) return;
    this.cancelCurves();
    await this.#curveSettled;
  }

  // ── privatise ───────────────────────────────────────────────────────────────────────────────────────

  setText(text: string): void {
    this.text = text.slice(0, MAX_TEXT_CHARS);
    this.#schedulePrivatize();
  }

  setEta(eta: number): void {
    if (!(eta > 0) || !Number.isFinite(eta)) return;
    this.eta = eta;
    this.#schedulePrivatize();
  }

  setSeed(seed: number): void {
    if (!Number.isSafeInteger(seed) || seed < 0) return;
    this.seed = seed;
    this.#schedulePrivatize();
  }

  #schedulePrivatize(): void {
    if (this.phase !== 'ready') return;
    const ticket = this.#privatizeTickets.next();
    this.privatizePending = true;
    clearTimeout(this.#privatizeTimer);
    this.#privatizeTimer = setTimeout(() => void this.#privatize(ticket), PRIVATIZE_DEBOUNCE_MS);
  }

  /** Privatises the current inputs; shows the answer only if no newer request was made meanwhile. */
  async #privatize(ticket: number): Promise<void> {
    const engine = this.#engine;
    if (!engine || !this.#privatizeTickets.isLatest(ticket)) return;
    const request: PrivatizeRequest = { text: this.text, eta: this.eta, seed: this.seed };
    this.privatizePending = true;
    try {
      // The engine runs this between the chunks of a curve computation, so typing stays responsive.
      const [result] = await engine.privatizeTexts({ texts: [request.text], eta: request.eta, seed: request.seed });
      if (this.#privatizeTickets.isLatest(ticket)) this.privatized = { request, result };
    } catch (e) {
      if (this.#privatizeTickets.isLatest(ticket)) this.reportError(e);
    } finally {
      if (this.#privatizeTickets.isLatest(ticket)) this.privatizePending = false;
    }
  }

  // ── corpus file ─────────────────────────────────────────────────────────────────────────────────────

  async openCorpusFile(file: File): Promise<void> {
    try {
      // parseTable's own limit is in characters; refuse clearly before reading something far larger.
      if (file.size > 400 * 2 ** 20) throw new DatasetError(`${file.name} is ${(file.size / 2 ** 20).toFixed(0)} MB; files up to about 200 MB of text can be read.`);
      this.#corpusContent = { fileName: file.name, content: await file.text() };
      this.#corpusTable = null;
      this.corpusFile = null;
      const format = formatFor(file.name, null);
      if (format) this.setCorpusFormat(format);
      else this.fileAwaitingFormat = { fileName: file.name, tried: null };
    } catch (e) {
      this.reportError(e);
    }
  }

  setCorpusFormat(format: TableFormat): void {
    const source = this.#corpusContent;
    if (!source) return;
    this.fileAwaitingFormat = null;
    try {
      const table = parseTable(source.content, format);
      this.#corpusTable = { format, table };
      this.setCorpusTextColumn(guessTextColumn(table.columns));
    } catch (e) {
      this.corpusFile = null;
      this.fileAwaitingFormat = { fileName: source.fileName, tried: format };
      this.reportError(e);
    }
  }

  setCorpusTextColumn(textColumn: string): void {
    const source = this.#corpusContent;
    const parsed = this.#corpusTable;
    if (!source || !parsed) return;
    try {
      this.corpusFile = { ...selectCorpusTexts(source.fileName, parsed.format, parsed.table, textColumn), problem: null };
    } catch (e) {
      // A column without text is a choice to correct in the picker, not a failure.
      const { columns, badRows } = parsed.table;
      this.corpusFile = { fileName: source.fileName, format: parsed.format, columns, textColumn, texts: [], badRows, problem: describeError(e).message };
    }
  }

  clearCorpusFile(): void {
    this.#corpusContent = null;
    this.#corpusTable = null;
    this.corpusFile = null;
    this.fileAwaitingFormat = null;
  }

  #loadBundledCorpus(): Promise<{ name: string; texts: string[] }> {
    this.#bundledTexts ??= loadCorpus(
      { kind: 'bundled', name: 'imdb-sentences' },
      () => Promise.reject(new Error('no files for the bundled corpus')),
      (path) => fetchJson(`${assetBase}${path}`, () => {}),
    ).catch((e: unknown) => {
      this.#bundledTexts = null; // a failed download may succeed when retried
      throw e;
    });
    return this.#bundledTexts;
  }

  // ── curves over η ───────────────────────────────────────────────────────────────────────────────────

  /** Sweeps η for this text or a corpus sample. `auto`: the first curve after load (defaults, no Bayes). */
  async computeCurves(options: { auto?: boolean } = {}): Promise<void> {
    const engine = this.#engine;
    if (!engine || this.phase !== 'ready' || this.curvesRunning) return;
    if (this.#engineHeld(options.auto)) return;
    if (this.modelChanging) {
      this.reportError(new RangeError('A model is loading: compute the curves once it has loaded (they are computed for the model in use).'));
      return;
    }
    const settings: CurveSettings = options.auto ? { ...DEFAULT_CURVE_SETTINGS, source: 'text' } : this.curveSettings;
    const parts = validateCurveSettings(settings);
    if (!parts.ok) {
      this.reportError(new RangeError(parts.error));
      return;
    }
    const { etas, draws, sampleSize, bayes } = parts.value;
    const seed = this.seed;
    let texts: string[];
    let label: string;
    try {
      if (settings.source === 'text') {
        if (this.text.trim() === '') throw new RangeError('Type some text in the box above first, or compute the curves for a corpus.');
        texts = [this.text];
        label = 'this text';
      } else if (settings.corpusKind === 'bundled') {
        const corpus = await this.#loadBundledCorpus();
        texts = sampleSentences(corpus.texts, sampleSize, seed);
        label = `${corpus.name}: ${texts.length} of ${corpus.texts.length.toLocaleString('en-US')} sentences (seed ${seed})`;
      } else {
        const file = this.corpusFile;
        if (!file || file.texts.length === 0) throw new DatasetError('Choose a file and a text column with some text first.');
        texts = sampleSentences(file.texts, sampleSize, seed);
        label = `${file.fileName} (“${file.textColumn}”): ${texts.length} of ${file.texts.length.toLocaleString('en-US')} texts (seed ${seed})`;
      }
    } catch (e) {
      this.reportError(e);
      return;
    }

    // Checked again: the engine may have been taken while the corpus loaded.
    if (this.#engineHeld(options.auto) || this.curvesRunning) return;
    const id = this.#nextCurveId++;
    const started = performance.now();
    let settle = () => {};
    this.#curveSettled = new Promise<void>((resolve) => (settle = resolve));
    this.curve = { id, etas, stats: etas.map(() => null), label, draws, bayes: Boolean(bayes), status: 'running', progress: 0, stage: 'waiting for the engine', seconds: null };
    const update = (patch: Partial<CurveRun>) => {
      if (this.curve?.id === id) this.curve = { ...this.curve, ...patch };
    };
    try {
      {
        update({ stage: 'starting' });
        await engine.sweepEta(
          { texts, etas, seed, draws, ...(bayes ? { bayes } : {}) },
          callback((p: { fraction: number; stage: string }) => update({ progress: p.fraction, stage: p.stage })),
          callback((stats: EtaStatistics, index: number) => {
            if (this.curve?.id !== id) return;
            const next = [...this.curve.stats];
            next[index] = stats;
            update({ stats: next });
          }),
        );
      }
      update({ status: 'done', progress: 1, stage: 'done', seconds: (performance.now() - started) / 1000 });
    } catch (e) {
      if (isCancelled(e)) {
        update({ status: 'cancelled', stage: 'cancelled', seconds: (performance.now() - started) / 1000 });
      } else {
        update({ status: 'failed', stage: 'failed' });
        this.reportError(e);
      }
    } finally {
      settle();
    }
  }

  /** Whether the engine is held elsewhere; says so unless this is the automatic first curve. */
  #engineHeld(auto = false): boolean {
    if (!this.engineHolder) return false;
    if (!auto) this.reportError(new RangeError(`${this.engineHolder.label} is using the engine: compute the curves when it has finished, or cancel it in Runs.`));
    return true;
  }

  /** Settles when no curve computation is running. */
  whenCurvesSettled(): Promise<void> {
    return this.#curveSettled;
  }

  cancelCurves(): void {
    if (!this.curvesRunning) return;
    if (this.curve) this.curve = { ...this.curve, stage: 'cancelling…' };
    this.#engine?.cancel().catch((e: unknown) => this.reportError(e));
  }
}
