// The experiment workspace's state as one runes class the components render: which view is open, the
// builder's draft spec, the stored runs and the queue that executes them. Flow: components call methods
// here; the methods go to the experiment code (schema, sweep, share links), the run store (IndexedDB) and
// the run queue, whose changes come back through subscriptions into $state fields.
//
// The engine is the privacy explorer's (one worker owns the GPU): a run waits until the explorer's curves
// are done, then holds the engine (explorer.engineHolder) until it ends; loading another model in the Model
// panel stops the run as interrupted first (its checkpoint is kept; it resumes on the bundled model).
//
// The builder edits one experiment of a kind — privatize, train or compare — with one draft per kind kept
// while the tab is open, so switching kinds and back loses nothing. "Train the demo" queues DEMO_TRAIN_SPEC
// (experiments/trainingDefaults.ts) in one click.

import { appVersion } from '../appVersion';
import { loadCorpus } from '../experiments/privatizeExperiment';
import {
  checkCurrentSpec,
  experimentSpecSchema,
  parseExperimentSpec,
  SCHEMA_VERSION,
  type ExperimentSpec,
  type PrivatizeExperimentSpec,
  type SpecIssue,
  type TrainingSpec,
} from '../experiments/schema';
import { decodeShareHash, encodeShareLink, isShareHash, ShareLinkError } from '../experiments/shareLink';
import { SpecError } from '../experiments/specError';
import { describeField, setAt, type FieldNode } from '../experiments/specFields';
import { expandSweep, runCount } from '../experiments/sweep';
import { DEMO_COMPARE_SPEC, DEMO_TRAIN_SPEC } from '../experiments/trainingDefaults';
import { compareCells, loadTrainingData } from '../experiments/trainingExperiment';
import { PRIVATISED_CONDITIONS } from '../experiments/trainingSchema';
import { fetchJson } from '../model/fetchWithProgress';
import { checkpointKey, idbCheckpointStore, memoryCheckpointStore, pruneCheckpoints, type CheckpointStore } from '../storage/checkpointStore';
import { asImported, ImportError, parseRunsJson, runsToCsv, runsToJson } from '../storage/exportRuns';
import { idbBackend } from '../storage/idbBackend';
import { recoverInterrupted, RunQueue, type CurrentRun, type EngineLease } from '../storage/runQueue';
import { RESUMABLE, type RunRecord } from '../storage/runRecord';
import { memoryBackend, RunStore, type KeyValueBackend } from '../storage/runStore';
import { StorageError } from '../storage/storageQuota';
import { callback } from '../worker/engineClient';
import type { Explorer } from './explorerState.svelte';
import { exportFileName, saveBlob } from './plotExport';
import { DEFAULT_QUERY, parseTags, type RunsQuery } from './runsTable';

export type View = 'explorer' | 'experiments' | 'runs';
export type ExperimentKind = ExperimentSpec['kind'];
export type RunsView = { kind: 'table' } | { kind: 'detail'; id: string } | { kind: 'compare' } | { kind: 'tradeoff' };

const assetBase = `${import.meta.env.BASE_URL}generated/`;

/** What the builder opens with: small enough to finish quickly on a CPU adapter. */
const DEFAULT_SPEC = {
  schemaVersion: SCHEMA_VERSION,
  kind: 'privatize',
  name: 'd_chi on the bundled IMDB sentences',
  corpus: { kind: 'bundled' },
  etas: [10, 50, 250],
  seeds: [1],
  sampleSize: 20,
  draws: 2,
  attacks: { bayes: { enabled: false } },
};

const DEFAULT_SPECS: Record<ExperimentKind, unknown> = { privatize: DEFAULT_SPEC, train: DEMO_TRAIN_SPEC, compare: DEMO_COMPARE_SPEC };

/** The default experiment of a kind with every default filled in, so the form shows each value. */
export const defaultDraft = (kind: ExperimentKind = 'privatize'): Record<string, unknown> => ({ ...parseExperimentSpec(DEFAULT_SPECS[kind]) });

const SPEC_UNION = describeField(experimentSpecSchema);

/** The builder's form per experiment kind: the options of the schema's union (the kind itself is hidden). */
export const SPEC_FIELDS_BY_KIND: Record<ExperimentKind, FieldNode & { type: 'object' }> = (() => {
  if (SPEC_UNION.type !== 'union') throw new TypeError('the experiment schema is expected to be a union of kinds');
  return Object.fromEntries(SPEC_UNION.options.map((o) => [o.value, o.node])) as Record<ExperimentKind, FieldNode & { type: 'object' }>;
})();

export const EXPERIMENT_KINDS: readonly ExperimentKind[] = ['privatize', 'train', 'compare'];

const kindOf = (draft: Record<string, unknown>): ExperimentKind => (EXPERIMENT_KINDS.includes(draft.kind as ExperimentKind) ? (draft.kind as ExperimentKind) : 'privatize');

const UNDO_SECONDS = 20;

export class Workspace {
  view = $state<View>('explorer');
  runsView = $state.raw<RunsView>({ kind: 'table' });

  // ── stored runs and the queue ──
  runs = $state.raw<RunRecord[]>([]);
  storageReady = $state(false);
  storageProblem = $state.raw<Error | null>(null);
  unreadable = $state.raw<{ key: string; reason: string }[]>([]);
  queuePaused = $state(false);
  current = $state.raw<CurrentRun | null>(null);
  /** clock() now, ticking while a run is current (for its ETA). */
  nowMs = $state(0);
  /** What the last reload left behind, until the user resumes or dismisses it. */
  recovered = $state.raw<{ interrupted: string[]; queued: number } | null>(null);

  // ── builder ──
  draft = $state.raw<Record<string, unknown>>(defaultDraft());
  draftOrigin = $state<'default' | 'link' | 'file' | 'run'>('default');
  linkError = $state<string | null>(null);
  shareLink = $state('');
  shareCopied = $state(false);
  shareProblem = $state<string | null>(null);
  /** Contents of corpus and data files chosen in this tab, by name (never stored, never in links). */
  sessionFiles = $state.raw<ReadonlyMap<string, string>>(new Map());
  /** The builder's drafts of the other kinds, kept while switching kinds. */
  #otherDrafts = new Map<ExperimentKind, Record<string, unknown>>();

  // ── runs table ──
  query = $state<RunsQuery>({ ...DEFAULT_QUERY });
  selected = $state.raw<ReadonlySet<string>>(new Set());
  undo = $state.raw<{ runs: RunRecord[]; message: string } | null>(null);
  notice = $state<string | null>(null);

  readonly explorer: Explorer;
  readonly #backend: () => KeyValueBackend;
  #store: RunStore | null = null;
  #queue: RunQueue | null = null;
  #checkpoints: CheckpointStore | null = null;
  #vocabulary: Promise<string[]> | null = null;
  #unsubscribe: (() => void)[] = [];
  #ticker: ReturnType<typeof setInterval> | undefined;
  #undoTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set when IndexedDB could not be opened and runs live in memory only. */
  #fallbackProblem: Error | null = null;

  readonly #checkpointBackend: () => CheckpointStore;

  constructor(explorer: Explorer, backend: () => KeyValueBackend = () => idbBackend(), checkpoints: () => CheckpointStore = () => idbCheckpointStore()) {
    this.explorer = explorer;
    this.#backend = backend;
    this.#checkpointBackend = checkpoints;
  }

  /** The kind of experiment the builder shows. */
  get kind(): ExperimentKind {
    return kindOf(this.draft);
  }

  /** The draft checked against the schema (every problem with its field path). */
  get checked(): ReturnType<typeof checkCurrentSpec> {
    return checkCurrentSpec(this.draft);
  }

  get issues(): SpecIssue[] {
    const c = this.checked;
    return c.ok ? [] : c.issues;
  }

  get engineReady(): boolean {
    return this.explorer.phase === 'ready' && this.explorer.engine !== null;
  }

  run(id: string): RunRecord | undefined {
    return this.runs.find((r) => r.id === id);
  }

  // ── start-up ────────────────────────────────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    const onHash = () => {
      // The header's "change model" link points into the explorer (#models): show it there.
      if (location.hash === '#models' && this.view !== 'explorer') {
        this.view = 'explorer';
        setTimeout(() => document.getElementById('models')?.scrollIntoView(), 0);
      }
      void this.openHash(location.hash);
    };
    window.addEventListener('hashchange', onHash);
    const onHide = () => void this.#store?.flush();
    window.addEventListener('pagehide', onHide);
    this.#unsubscribe.push(
      () => window.removeEventListener('hashchange', onHash),
      () => window.removeEventListener('pagehide', onHide),
    );
    // A link opens in the builder at once; the runs load meanwhile.
    const link = this.openHash(location.hash);
    try {
      const onError = (e: Error) => this.explorer.reportError(e);
      let opened: Awaited<ReturnType<typeof RunStore.open>>;
      try {
        opened = await RunStore.open(this.#backend(), { onError });
      } catch (e) {
        if (e instanceof StorageError) throw e; // stored by a newer version: do not hide it behind an empty list
        // No IndexedDB (some private modes): keep runs for this tab only, and say so.
        opened = await RunStore.open(memoryBackend(), { onError });
        this.#fallbackProblem = new StorageError(`This browser did not open its database (${e instanceof Error ? e.message : String(e)}), so runs are kept only until this tab closes. Export them to keep them.`);
        this.explorer.reportError(this.#fallbackProblem);
      }
      const { store, unreadable } = opened;
      this.#store = store;
      this.unreadable = unreadable;
      this.#checkpoints = this.#fallbackProblem ? memoryCheckpointStore() : this.#checkpointBackend();
      const interrupted = await recoverInterrupted(store);
      void this.#pruneCheckpoints();
      const queued = store.list().filter((r) => r.status === 'queued').length;
      if (interrupted.length > 0 || queued > 0) this.recovered = { interrupted: interrupted.map((r) => r.id), queued };
      this.#queue = new RunQueue(
        {
          store,
          acquire: (spec, isStopped) => this.#acquire(spec, isStopped),
          loadCorpus: (spec) => this.#loadCorpus(spec),
          loadTrainingData: (spec) => this.#loadTrainingData(spec),
          checkpoints: this.#checkpoints,
          tokenText: (ids) => this.#tokenText(ids),
          isInterruption: (e) => (e as { name?: string })?.name === 'GpuError' && /device was lost/i.test(String((e as Error).message)),
        },
        // After a reload the queue waits for the user (see runQueue.ts for why).
        { paused: this.recovered !== null },
      );
      this.#unsubscribe.push(
        store.subscribe(() => this.#refreshRuns()),
        this.#queue.subscribe(() => this.#refreshQueue()),
      );
      this.#refreshRuns();
      this.#refreshQueue();
      this.storageReady = true;
    } catch (e) {
      this.storageProblem = e instanceof Error ? e : new StorageError(String(e));
      this.explorer.reportError(e);
    }
    await link;
  }

  stop(): void {
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
    clearInterval(this.#ticker);
    clearTimeout(this.#undoTimer);
    void this.#store?.flush();
  }

  #refreshRuns(): void {
    const store = this.#store;
    if (!store) return;
    this.runs = store.list();
    this.storageProblem = store.problem ?? this.#fallbackProblem;
    const ids = new Set(this.runs.map((r) => r.id));
    if ([...this.selected].some((id) => !ids.has(id))) this.selected = new Set([...this.selected].filter((id) => ids.has(id)));
  }

  #refreshQueue(): void {
    const queue = this.#queue;
    if (!queue) return;
    this.queuePaused = queue.paused;
    this.current = queue.current;
    if (this.current && this.#ticker === undefined) {
      this.nowMs = performance.now();
      this.#ticker = setInterval(() => (this.nowMs = performance.now()), 1000);
    } else if (!this.current && this.#ticker !== undefined) {
      clearInterval(this.#ticker);
      this.#ticker = undefined;
    }
  }

  // ── the engine, for one run ─────────────────────────────────────────────────────────────────────────

  async #acquire(spec: ExperimentSpec, isStopped: () => boolean): Promise<EngineLease> {
    const explorer = this.explorer;
    // Wait for the engine: started, no curves computing, no model loading.
    for (;;) {
      if (isStopped()) throw Object.assign(new Error('stopped before it started'), { name: 'CancelledError' });
      if (explorer.phase === 'failed' || explorer.phase === 'no-webgpu') {
        throw Object.assign(new Error('The GPU engine is not available (see the message at the top of the page); reload the page and resume the run.'), { name: 'GpuError' });
      }
      if (explorer.phase === 'ready' && explorer.engine && !explorer.curvesRunning && !explorer.modelChanging && !explorer.engineHolder) break;
      // A timer, not only the curves' promise: that one is already settled while the model loads, and
      // awaiting settled promises in a loop would never yield to the page.
      await Promise.race([explorer.curvesRunning ? explorer.whenCurvesSettled() : new Promise(() => {}), new Promise((r) => setTimeout(r, 250))]);
    }
    const engine = explorer.engine!;
    explorer.engineHolder = { label: 'An experiment run', stop: () => this.#queue?.interruptCurrent('stopped because another model was loaded; resume it to continue') ?? Promise.resolve() };
    try {
      const adapter = explorer.adapter;
      if (!adapter) throw new Error('The GPU adapter is not known yet.');
      // Experiments name their model; the explorer may have another one loaded (Model panel). A training
      // experiment on the "loaded" model takes whichever one that is.
      let model = explorer.model;
      if (spec.model.id === 'loaded') {
        if (!model) throw new SpecError('This experiment trains the loaded model, and none is loaded: load one in the Models panel first.');
      } else if (!model || model.id !== spec.model.id) {
        explorer.modelChanging = true;
        try {
          model = await engine.loadModel(spec.model.id);
        } finally {
          explorer.modelChanging = false;
        }
        explorer.setModel(model);
      }
      return {
        engine: {
          sweepEta: (request, onProgress, onEta) => engine.sweepEta(request, callback(onProgress), callback(onEta)),
          privatizeTexts: (request) => engine.privatizeTexts(request),
          // The training drivers wrap their own callbacks (experiments/trainingExperiment.ts).
          trainer: engine,
          cancel: () => engine.cancel(),
        },
        environment: {
          adapter: { ...adapter, features: [...adapter.features], limits: { ...adapter.limits } },
          userAgent: navigator.userAgent,
          appVersion,
          model: { id: model.id, name: model.name, vocabSize: model.vocabSize, embeddingDim: model.embeddingDim, candidateCount: model.candidateCount },
        },
        release: () => {
          explorer.engineHolder = null;
        },
      };
    } catch (e) {
      explorer.engineHolder = null;
      throw e;
    }
  }

  /** A file chosen in this tab, by the name the spec gives it. */
  #sessionFile(where: string): (path: string) => Promise<string> {
    return async (path) => {
      const text = this.sessionFiles.get(path);
      if (text === undefined) {
        throw new SpecError(`This experiment reads the file “${path}”, which this tab does not have (files are never stored). Choose it in Experiments → ${where}, then resume the run.`);
      }
      return text;
    };
  }

  #loadCorpus(spec: PrivatizeExperimentSpec) {
    return loadCorpus(spec.corpus, this.#sessionFile('Corpus'), (path) => fetchJson(`${assetBase}${path}`, () => {}));
  }

  #loadTrainingData(spec: TrainingSpec) {
    return loadTrainingData(spec, this.#sessionFile('Data'), (path) => fetchJson(`${assetBase}${path}`, () => {}));
  }

  /** Vocabulary pieces of the bundled model's token ids (the plain tokens of a RAPT run, to read them). */
  async #tokenText(ids: number[]): Promise<string[]> {
    this.#vocabulary ??= fetchJson(`${assetBase}models/use-lite/vocab.json`, () => {}).then((v) => (Array.isArray(v) ? v.map((e) => (Array.isArray(e) ? String(e[0]) : '?')) : []));
    const pieces = await this.#vocabulary.catch((e) => {
      this.#vocabulary = null;
      throw e;
    });
    return ids.map((id) => (pieces[id] ?? `#${id}`).slice(0, 200));
  }

  /** Drops checkpoints no stored run needs any more (finished or deleted runs, a closed tab's leftovers). */
  async #pruneCheckpoints(): Promise<void> {
    const store = this.#store;
    const checkpoints = this.#checkpoints;
    if (!store || !checkpoints) return;
    const keep = new Set([...store.list(), ...(this.undo?.runs ?? [])].flatMap((r) => (r.checkpoint?.kind === 'train-weights' && r.status !== 'done' ? [r.checkpoint.key] : [])));
    await pruneCheckpoints(checkpoints, keep).catch(() => {});
  }

  // ── navigation ──────────────────────────────────────────────────────────────────────────────────────

  show(view: View): void {
    this.view = view;
  }

  showRuns(runsView: RunsView = { kind: 'table' }): void {
    this.view = 'runs';
    this.runsView = runsView;
  }

  // ── builder ─────────────────────────────────────────────────────────────────────────────────────────

  setDraft(draft: Record<string, unknown>): void {
    // Another kind (a link, a spec file, a stored run, the kind choice): keep this kind's draft to come back to.
    if (kindOf(draft) !== this.kind) this.#otherDrafts.set(this.kind, this.draft);
    this.draft = draft;
    this.shareLink = '';
    this.shareCopied = false;
    this.shareProblem = null;
  }

  resetDraft(): void {
    this.setDraft(defaultDraft(this.kind));
    this.draftOrigin = 'default';
    this.linkError = null;
  }

  /** Switches the builder to another kind of experiment; each kind keeps its own draft. */
  setKind(kind: ExperimentKind): void {
    if (kind === this.kind) return;
    this.setDraft(this.#otherDrafts.get(kind) ?? defaultDraft(kind));
    this.draftOrigin = 'default';
    this.linkError = null;
  }

  /** "Train the demo": queues the demo training (bundled model and sentences) and shows its run. */
  async trainDemo(): Promise<void> {
    const queue = this.#queue;
    if (!queue) return;
    try {
      const spec = parseExperimentSpec(DEMO_TRAIN_SPEC);
      const records = await queue.enqueue(expandSweep(spec), spec.name ?? 'demo');
      this.recovered = null;
      this.showRuns({ kind: 'detail', id: records[0].id });
    } catch (e) {
      this.explorer.reportError(e);
    }
  }

  /** Opens a share link's spec in the builder; nothing runs until the user presses Run. */
  async openHash(hash: string): Promise<void> {
    if (!isShareHash(hash)) return;
    this.view = 'experiments';
    try {
      const spec = await decodeShareHash(hash);
      if (!spec) return;
      this.setDraft(spec);
      this.draftOrigin = 'link';
      this.linkError = null;
    } catch (e) {
      // Never a crash, never markup: the message is shown as text in the builder.
      this.linkError = e instanceof ShareLinkError ? e.message : 'The link could not be read.';
      this.draftOrigin = 'default';
    }
  }

  async copyLink(spec: ExperimentSpec | null = this.checked.ok ? this.checked.spec : null): Promise<string | null> {
    if (!spec) return null;
    try {
      this.shareProblem = null;
      this.shareLink = await encodeShareLink(spec, location.href);
    } catch (e) {
      this.shareLink = '';
      this.shareProblem = e instanceof Error ? e.message : String(e);
      return null;
    }
    try {
      await navigator.clipboard.writeText(this.shareLink);
      this.shareCopied = true;
    } catch {
      // No clipboard permission (or an insecure page): the link is shown to copy by hand.
      this.shareCopied = false;
    }
    return this.shareLink;
  }

  /** Opens an experiment spec file (any version; validated and migrated) in the builder. */
  async openSpecFile(file: File): Promise<void> {
    try {
      if (file.size > 16 * 2 ** 20) throw new SpecError(`${file.name} is too large to be an experiment spec.`);
      let raw: unknown;
      try {
        raw = JSON.parse(await file.text());
      } catch {
        throw new SpecError(`${file.name} is not JSON.`);
      }
      this.setDraft(parseExperimentSpec(raw));
      this.draftOrigin = 'file';
      this.linkError = null;
    } catch (e) {
      this.explorer.reportError(e);
    }
  }

  downloadSpec(): void {
    const c = this.checked;
    if (!c.ok) return;
    saveBlob(new Blob([`${JSON.stringify(c.spec, null, 2)}\n`], { type: 'application/json' }), exportFileName(c.spec.name || 'experiment', 'json'));
  }

  /** A corpus or data file for this tab: its text is kept in memory and the spec names it at `fieldPath` (e.g. corpus.path, data.train.path). */
  async chooseFile(fieldPath: string, file: File): Promise<void> {
    try {
      if (file.size > 400 * 2 ** 20) throw new SpecError(`${file.name} is too large (${(file.size / 2 ** 20).toFixed(0)} MB).`);
      const text = await file.text();
      this.sessionFiles = new Map([...this.sessionFiles, [file.name, text]]);
      this.setDraft(setAt(this.draft, fieldPath, file.name));
    } catch (e) {
      this.explorer.reportError(e);
    }
  }

  openRunInBuilder(run: RunRecord): void {
    this.setDraft({ ...run.spec });
    this.draftOrigin = 'run';
    this.linkError = null;
    this.view = 'experiments';
  }

  /** Queues the draft's runs (a sweep expands into several) and shows them. */
  async runDraft(): Promise<void> {
    const queue = this.#queue;
    const c = this.checked;
    if (!queue || !c.ok) return;
    try {
      const planned = expandSweep(c.spec);
      const label = c.spec.name?.trim() || `${c.spec.kind} sweep`;
      const records = await queue.enqueue(planned, label);
      this.recovered = null;
      if (records.length === 1) this.showRuns({ kind: 'detail', id: records[0].id });
      else {
        this.selected = new Set(records.map((r) => r.id));
        this.showRuns({ kind: 'table' });
      }
    } catch (e) {
      this.explorer.reportError(e);
    }
  }

  /** "3 runs × 3 η values", "1 run: rapt at η 20", "1 run: 8 trainings" for the Run button. */
  get plannedSummary(): string {
    const c = this.checked;
    if (!c.ok) return '';
    const spec = c.spec;
    const runs = runCount(spec);
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    if (spec.kind === 'privatize') return `${plural(runs, 'run')} × ${plural(spec.etas.length, 'η value')}`;
    if (spec.kind === 'train') return `${plural(runs, 'run')}: ${spec.condition}${PRIVATISED_CONDITIONS.includes(spec.condition) ? ` at η ${spec.eta}` : ' (clean text)'}, ${plural(spec.training.epochs, 'epoch')}`;
    return `1 run: ${plural(compareCells(spec).length, 'training')} (conditions × η × seeds)`;
  }

  // ── queue ───────────────────────────────────────────────────────────────────────────────────────────

  async resume(ids: readonly string[]): Promise<void> {
    await this.#queue?.resume(ids.filter((id) => RESUMABLE.includes(this.run(id)?.status ?? 'done')));
    // Resuming by hand also answers the "runs were interrupted" banner, once nothing is left waiting.
    if (!this.runs.some((r) => r.status === 'interrupted')) this.recovered = null;
  }

  /** After a reload: resume the interrupted runs and the queued ones. */
  async resumeAll(): Promise<void> {
    const interrupted = this.runs.filter((r) => r.status === 'interrupted').map((r) => r.id);
    this.recovered = null;
    if (interrupted.length) await this.#queue?.resume(interrupted);
    else this.#queue?.start();
  }

  dismissRecovered(): void {
    this.recovered = null;
  }

  async cancel(ids: readonly string[]): Promise<void> {
    await this.#queue?.cancel(ids);
  }

  pauseQueue(): void {
    this.#queue?.pause();
  }

  startQueue(): void {
    this.recovered = null;
    this.#queue?.start();
  }

  // ── runs table ──────────────────────────────────────────────────────────────────────────────────────

  toggleSelected(id: string, on: boolean): void {
    const next = new Set(this.selected);
    if (on) next.add(id);
    else next.delete(id);
    this.selected = next;
  }

  selectOnly(ids: readonly string[]): void {
    this.selected = new Set(ids);
  }

  async rename(id: string, name: string): Promise<void> {
    const run = this.#store?.get(id);
    const trimmed = name.trim().slice(0, 300);
    if (!run || !trimmed || trimmed === run.name) return;
    await this.#store!.save({ ...run, name: trimmed, updatedAt: new Date().toISOString() }, 'now');
  }

  async setTags(id: string, text: string): Promise<void> {
    const run = this.#store?.get(id);
    if (!run) return;
    await this.#store!.save({ ...run, tags: parseTags(text), updatedAt: new Date().toISOString() }, 'now');
  }

  async addTag(ids: readonly string[], text: string): Promise<void> {
    const add = parseTags(text);
    if (!this.#store || add.length === 0) return;
    for (const id of ids) {
      const run = this.#store.get(id);
      if (run) await this.#store.save({ ...run, tags: [...new Set([...run.tags, ...add])].slice(0, 20), updatedAt: new Date().toISOString() }, 'batched');
    }
    await this.#store.flush();
  }

  /** Deletes runs (a running one is cancelled first); undo puts them back. */
  async deleteRuns(ids: readonly string[]): Promise<void> {
    const store = this.#store;
    if (!store || ids.length === 0) return;
    const running = ids.filter((id) => this.current?.id === id);
    if (running.length) await this.#queue?.cancel(running);
    const removed = await store.remove(ids);
    if (this.runsView.kind === 'detail' && ids.includes(this.runsView.id)) this.runsView = { kind: 'table' };
    this.undo = { runs: removed, message: `Deleted ${removed.length} run${removed.length === 1 ? '' : 's'}.` };
    clearTimeout(this.#undoTimer);
    this.#undoTimer = setTimeout(() => this.dismissUndo(), UNDO_SECONDS * 1000);
  }

  async undoDelete(): Promise<void> {
    const undo = this.undo;
    if (!undo || !this.#store) return;
    this.undo = null;
    clearTimeout(this.#undoTimer);
    // A run deleted while running comes back stopped, resumable.
    await this.#store.restore(undo.runs.map((r) => (r.status === 'running' || r.status === 'queued' ? { ...r, status: 'interrupted' as const, queuePosition: null } : r)));
  }

  dismissUndo(): void {
    const gone = this.undo?.runs ?? [];
    this.undo = null;
    // Deleted for good: their training checkpoints go too.
    const keys = gone.filter((r) => r.spec.kind === 'train').map((r) => (r.checkpoint?.kind === 'train-weights' ? r.checkpoint.key : checkpointKey(r.id)));
    if (keys.length) void this.#checkpoints?.delete(keys).catch(() => {});
  }

  // ── files ───────────────────────────────────────────────────────────────────────────────────────────

  #chosen(ids: readonly string[] | null): RunRecord[] {
    const set = ids ? new Set(ids) : null;
    return this.runs.filter((r) => !set || set.has(r.id)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  exportJson(ids: readonly string[] | null): void {
    const runs = this.#chosen(ids);
    saveBlob(new Blob([runsToJson(runs, appVersion)], { type: 'application/json' }), exportFileName(`runs-${runs.length}`, 'json'));
  }

  exportCsv(ids: readonly string[] | null): void {
    const runs = this.#chosen(ids);
    saveBlob(new Blob([runsToCsv(runs)], { type: 'text/csv' }), exportFileName(`runs-${runs.length}`, 'csv'));
  }

  /** Imports an exported JSON file: all of it or, if anything is malformed, none of it. */
  async importJson(file: File): Promise<void> {
    const store = this.#store;
    if (!store) return;
    try {
      const runs = parseRunsJson(await file.text(), file.name);
      const fresh = runs.filter((r) => !store.has(r.id)).map(asImported);
      await store.restore(fresh);
      const skipped = runs.length - fresh.length;
      this.notice = `Imported ${fresh.length} run${fresh.length === 1 ? '' : 's'} from ${file.name}${skipped ? ` (${skipped} already here, kept as they are)` : ''}.`;
    } catch (e) {
      this.explorer.reportError(e instanceof ImportError || e instanceof Error ? e : new ImportError(String(e)));
    }
  }

  dismissNotice(): void {
    this.notice = null;
  }
}
