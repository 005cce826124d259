// The run queue: sweeps expand into queued runs (experiments/sweep.ts) that execute one after another in the
// engine worker. The queue *is* the stored records — every queued run has a queuePosition — so it survives a
// reload with nothing else to keep consistent. On start-up, recover() marks runs that were `running` as
// `interrupted` (the page that ran them is gone) and the queue waits: the user resumes it with one click
// rather than the page restarting GPU work by itself, because a run that crashed the tab or lost the GPU
// would otherwise crash it again on every load.
//
// Checkpoints, by kind — what a resumed run continues from:
//   privatize  the η values already finished (their statistics, saved as each arrives through onEta).
//              Resuming runs the remaining η values with the same seed: each η's statistics depend only on
//              the seed, the sample and η (Philox counters, privacy/random/streams.ts), so a resumed run ends
//              with the same numbers as an uninterrupted one.
//   train      the trained parameters and AdamW state at the last evaluation (engine.train's onCheckpoint),
//              kept in the checkpoint store (checkpointStore.ts); the loop replays the same seeded batch
//              order from that step (training/trainLoop.ts).
//   compare    the finished cells; a resumed run trains only the others (runCompareExperiment's `done`).
// Train and compare runs go through the same drivers as the headless runner (experiments/trainingExperiment.ts).

import type { AdapterReport } from '../gpu/device';
import type { ModelInfo } from '../model/loadedModel';
import { sampleSentences, sweepRequest, type CorpusTexts } from '../experiments/privatizeExperiment';
import { etaAttacks, etaMetrics, privatizeSummary } from '../experiments/privatizeMetrics';
import type { ExperimentSpec, PrivatizeExperimentSpec, TrainingSpec } from '../experiments/schema';
import { conditionHash, specHash } from '../experiments/specHash';
import type { PlannedRun } from '../experiments/sweep';
import { compareCells, runCompareExperiment, runTrainExperiment, splitForSeed, type CompareCell, type TrainingData, type TrainingEngine, type TrainingProgress } from '../experiments/trainingExperiment';

export type { TrainingEngine };
import type { EtaStatistics } from '../privacy/statistics/etaSweep';
import type { TrainCheckpoint, TrainProgress, TrainRequest, TrainResult } from '../training/trainTypes';
import type { PrivatizedText, PrivatizeTextsRequest, SweepProgress, SweepTextsRequest } from '../worker/engineApi';
import type { Engine } from '../worker/engineClient';
import { checkpointKey, memoryCheckpointStore, readCheckpoint, type CheckpointStore } from './checkpointStore';
import {
  isCompareRun,
  isPrivatizeRun,
  isTrainRun,
  newRunId,
  newRunRecord,
  remainingEtas,
  RESUMABLE,
  type CompareRun,
  type PrivatizeRun,
  type RunEnvironment,
  type RunRecord,
  type TrainLive,
  type TrainRun,
} from './runRecord';
import type { RunStore } from './runStore';
import {
  compareHistoryPoint,
  compareSummary,
  finiteOrNull,
  historyFromCheckpoint,
  partialTrainSummary,
  storedCompareCell,
  storedDataSummary,
  storedEval,
  storedPoint,
  toCompareCell,
  trainHistoryPoint,
  trainOutcome,
  trainSummary,
} from './trainingResults';

/** What a run needs of the engine (the comlink proxy in the app, with callbacks wrapped; a fake in tests). */
export interface QueueEngine {
  sweepEta(request: SweepTextsRequest, onProgress: (p: SweepProgress) => void, onEta: (stats: EtaStatistics, index: number) => void): Promise<EtaStatistics[]>;
  privatizeTexts(request: PrivatizeTextsRequest): Promise<PrivatizedText[]>;
  trainer: TrainingEngine;
  cancel(): unknown;
}

/** The engine, held for one run: the model the spec names is loaded, nothing else uses the engine until release(). */
export interface EngineLease {
  engine: QueueEngine;
  environment: RunEnvironment;
  release(): void;
}

export interface QueueDeps {
  store: RunStore;
  /** Waits for the engine and holds it; gives up (rejecting) once isStopped() is true. */
  acquire(spec: ExperimentSpec, isStopped: () => boolean): Promise<EngineLease>;
  loadCorpus(spec: PrivatizeExperimentSpec): Promise<CorpusTexts>;
  /** The labelled examples of a train or compare run (experiments/trainingExperiment.ts loadTrainingData). */
  loadTrainingData?(spec: TrainingSpec): Promise<TrainingData>;
  /** Where train runs keep their checkpoints (in memory when not given). */
  checkpoints?: CheckpointStore;
  /** Vocabulary pieces of token ids (a RAPT run's plain tokens, shown as text); optional. */
  tokenText?(ids: number[]): Promise<string[]>;
  /** Failures that leave the run resumable rather than failed (a lost GPU device). */
  isInterruption?(e: unknown): boolean;
  now?(): Date;
  /** Milliseconds, for ETAs. */
  clock?(): number;
}

/** Sampled sentences privatised (draw 0) at every η and kept with the run. */
export const SAMPLE_TEXTS = 3;

export interface CurrentRun {
  id: string;
  /** clock() when this attempt started, and the run's progress then (a resumed run starts part-way). */
  attemptStartedMs: number;
  attemptStartFraction: number;
  fraction: number;
  stage: string;
  /** Seconds left as the engine measures them (training); null or absent: from this attempt's pace. */
  etaSeconds?: number | null;
}

class StopRequested extends Error {
  override name = 'CancelledError';
}

const errorName = (e: unknown) => (typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string' ? (e as { name: string }).name : 'Error');
const errorMessage = (e: unknown) => (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : String(e));

/** Runs that were `running` when the page went away become `interrupted`; their history stays. */
export async function recoverInterrupted(store: RunStore, now = new Date()): Promise<RunRecord[]> {
  const stale = store.list().filter((r) => r.status === 'running');
  for (const r of stale) {
    await store.save(
      { ...r, status: 'interrupted', interruptions: r.interruptions + 1, updatedAt: now.toISOString(), progress: { ...r.progress, stage: 'interrupted (the page was closed or reloaded)' } },
      'batched',
    );
  }
  await store.flush();
  return stale.map((r) => store.get(r.id)!);
}

/** The queued runs in execution order. */
export function queuedRuns(runs: readonly RunRecord[]): RunRecord[] {
  return runs.filter((r) => r.status === 'queued').sort((a, b) => (a.queuePosition ?? Infinity) - (b.queuePosition ?? Infinity) || a.createdAt.localeCompare(b.createdAt));
}

/** One attempt at a run: the record as it is now, and how to change it. */
interface Attempt {
  readonly id: string;
  readonly run: RunRecord;
  /** The record as this attempt found it (the previous attempt's environment, checkpoint). */
  readonly before: RunRecord;
  save(patch: Partial<RunRecord>, mode: 'now' | 'batched'): Promise<void>;
  /** Compute seconds of the run so far (earlier attempts included). */
  seconds(): number;
  throwIfStopped(): void;
}

type Deps = Required<Omit<QueueDeps, 'isInterruption' | 'tokenText' | 'loadTrainingData'>> & Pick<QueueDeps, 'isInterruption' | 'tokenText' | 'loadTrainingData'>;

export class RunQueue {
  readonly #deps: Deps;
  readonly #listeners = new Set<() => void>();
  #paused: boolean;
  #looping: Promise<void> | null = null;
  #current: CurrentRun | null = null;
  #lease: EngineLease | null = null;
  #stop: 'cancel' | 'interrupt' | null = null;
  #stopReason = '';

  constructor(deps: QueueDeps, options: { paused?: boolean } = {}) {
    this.#deps = { now: () => new Date(), clock: () => performance.now(), checkpoints: memoryCheckpointStore(), ...deps };
    this.#paused = options.paused ?? false;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get current(): CurrentRun | null {
    return this.#current;
  }

  get running(): boolean {
    return this.#looping !== null;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(): void {
    for (const l of this.#listeners) l();
  }

  /** Settles when the queue has nothing left to do (or is paused after the current run). */
  idle(): Promise<void> {
    return this.#looping ?? Promise.resolve();
  }

  // ── adding and controlling runs ─────────────────────────────────────────────────────────────────────

  /** Queues the runs of a sweep (or a single run) behind what is queued, and starts the queue. */
  async enqueue(planned: readonly PlannedRun[], sweepLabel: string): Promise<RunRecord[]> {
    const store = this.#deps.store;
    const now = this.#deps.now();
    const last = Math.max(0, ...store.list().map((r) => r.queuePosition ?? 0));
    const sweepId = planned.length > 1 ? `sweep-${now.getTime().toString(36)}` : null;
    const records: RunRecord[] = [];
    for (const [i, p] of planned.entries()) {
      records.push(
        newRunRecord({
          id: newRunId(now.getTime() + i),
          name: p.label,
          spec: p.spec,
          specHash: await specHash(p.spec),
          conditionHash: await conditionHash(p.spec),
          seed: p.seed,
          sweep: sweepId ? { id: sweepId, label: sweepLabel, index: i, total: planned.length, condition: p.condition } : null,
          queuePosition: last + 1 + i,
          now: now.toISOString(),
        }),
      );
    }
    await store.restore(records);
    this.start();
    return records;
  }

  /** Starts (or continues) executing queued runs. */
  start(): void {
    this.#paused = false;
    this.#emit();
    this.#looping ??= this.#loop().finally(() => {
      this.#looping = null;
      this.#emit();
    });
  }

  /** Stops after the current run; queued runs stay queued. */
  pause(): void {
    this.#paused = true;
    this.#emit();
  }

  /** Puts stopped runs (interrupted, cancelled, failed) back at the head of the queue and starts it. */
  async resume(ids: readonly string[]): Promise<void> {
    const store = this.#deps.store;
    const first = Math.min(1, ...store.list().map((r) => r.queuePosition ?? 1));
    const resumable = ids.map((id) => store.get(id)).filter((r): r is RunRecord => r !== undefined && RESUMABLE.includes(r.status));
    for (const [i, r] of resumable.entries()) {
      await store.save({ ...r, status: 'queued', failure: null, queuePosition: first - resumable.length + i, updatedAt: this.#deps.now().toISOString(), progress: { ...r.progress, stage: 'queued to resume' } }, 'batched');
    }
    await store.flush();
    this.start();
  }

  /** Cancels queued runs at once and the running one as soon as the engine checks (between chunks, training steps). */
  async cancel(ids: readonly string[]): Promise<void> {
    const store = this.#deps.store;
    for (const id of ids) {
      const r = store.get(id);
      if (!r) continue;
      if (this.#current?.id === id) this.#requestStop('cancel', 'cancelled');
      else if (r.status === 'queued') await store.save({ ...r, status: 'cancelled', queuePosition: null, updatedAt: this.#deps.now().toISOString(), progress: { ...r.progress, stage: 'cancelled before it started' } }, 'batched');
    }
    await store.flush();
  }

  /** Stops the running run and leaves it interrupted (resumable) — e.g. when another model is loaded. */
  async interruptCurrent(reason: string): Promise<void> {
    if (!this.#current) return;
    this.pause();
    this.#requestStop('interrupt', reason);
    await this.idle();
  }

  #requestStop(kind: 'cancel' | 'interrupt', reason: string): void {
    this.#stop = kind;
    this.#stopReason = reason;
    void Promise.resolve(this.#lease?.engine.cancel()).catch(() => {});
  }

  // ── execution ───────────────────────────────────────────────────────────────────────────────────────

  async #loop(): Promise<void> {
    for (;;) {
      if (this.#paused) return;
      const next = queuedRuns(this.#deps.store.list())[0];
      if (!next) return;
      await this.#execute(next);
    }
  }

  async #execute(queued: RunRecord): Promise<void> {
    const { store, now, clock } = this.#deps;
    const id = queued.id;
    let run: RunRecord = queued;
    const attemptStarted = clock();
    const secondsBefore = run.seconds;
    const attempt: Attempt = {
      id,
      before: queued,
      get run() {
        return run;
      },
      save: async (patch, mode) => {
        run = { ...run, ...patch, updatedAt: now().toISOString() };
        // A run deleted while it ran is not written back.
        if (store.has(id)) await store.save(run, mode);
      },
      seconds: () => secondsBefore + (clock() - attemptStarted) / 1000,
      throwIfStopped: () => {
        if (this.#stop) throw new StopRequested(this.#stopReason);
      },
    };
    const startFraction = startFractionOf(run);
    this.#stop = null;
    this.#current = { id, attemptStartedMs: clock(), attemptStartFraction: startFraction, fraction: startFraction, stage: 'waiting for the engine' };
    this.#emit();
    // Work the run still does in the background when it ends (checkpoints being written).
    const pending: { promise: Promise<void> } = { promise: Promise.resolve() };
    try {
      this.#lease = await this.#deps.acquire(run.spec, () => this.#stop !== null);
      attempt.throwIfStopped();
      const { engine, environment } = this.#lease;
      const firstStage = run.spec.kind === 'privatize' ? 'loading the corpus' : 'loading the training data';
      await attempt.save({ status: 'running', startedAt: run.startedAt ?? now().toISOString(), environment, failure: null, queuePosition: null, progress: { fraction: startFraction, stage: firstStage } }, 'now');
      this.#progress(startFraction, firstStage);
      if (isPrivatizeRun(run)) await this.#runPrivatize(attempt, run, engine, pending);
      else if (isTrainRun(run)) await this.#runTrain(attempt, run, engine, environment);
      else if (isCompareRun(run)) await this.#runCompare(attempt, run, engine, environment);
      else throw new Error(`This run's results do not match its ${run.spec.kind} experiment.`);
    } catch (e) {
      await pending.promise.catch(() => {});
      const seconds = attempt.seconds();
      const stopped = this.#stop ?? (errorName(e) === 'CancelledError' ? 'cancel' : null);
      if (stopped === 'cancel') {
        await attempt.save({ status: 'cancelled', seconds, queuePosition: null, progress: { ...run.progress, stage: 'cancelled' } }, 'now');
      } else if (stopped === 'interrupt' || this.#deps.isInterruption?.(e)) {
        const reason = stopped === 'interrupt' ? this.#stopReason : errorMessage(e);
        await attempt.save({ status: 'interrupted', seconds, interruptions: run.interruptions + 1, queuePosition: null, failure: { name: errorName(e), message: reason }, progress: { ...run.progress, stage: 'interrupted' } }, 'now');
      } else {
        await attempt.save({ status: 'failed', seconds, queuePosition: null, failure: { name: errorName(e), message: errorMessage(e) }, progress: { ...run.progress, stage: 'failed' } }, 'now');
      }
    } finally {
      this.#lease?.release();
      this.#lease = null;
      this.#current = null;
      this.#stop = null;
      this.#emit();
    }
  }

  /** Asks the engine to stop again if a stop is pending (the engine forgets a cancel when a new request starts). */
  #repeatCancel(engine: QueueEngine): void {
    if (this.#stop) void Promise.resolve(engine.cancel()).catch(() => {});
  }

  // ── privatize ───────────────────────────────────────────────────────────────────────────────────────

  async #runPrivatize(a: Attempt, started: PrivatizeRun, engine: QueueEngine, pending: { promise: Promise<void> }): Promise<void> {
    const { now } = this.#deps;
    const spec = started.spec;
    const seed = started.seed;
    const total = spec.etas.length;
    const results = () => a.run.results as PrivatizeRun['results'];
    const corpus = await this.#deps.loadCorpus(spec);
    const texts = sampleSentences(corpus.texts, spec.sampleSize, seed);
    await a.save({ results: { ...results(), corpus: { name: corpus.name, sentences: corpus.texts.length, sampled: texts.length, badRows: corpus.badRows.length } } }, 'batched');
    a.throwIfStopped();

    const checkpoint = async (stats: EtaStatistics) => {
      if (results().statistics.some((s) => s.eta === stats.eta)) return;
      // Keep the spec's η order whatever order they finish in.
      const statistics = [...results().statistics, stats].sort((x, y) => spec.etas.indexOf(x.eta) - spec.etas.indexOf(y.eta));
      const step = a.run.history.length;
      const at = now().toISOString();
      await a.save(
        {
          // Compute time so far, so that an interrupted run still says how long its finished part took.
          seconds: a.seconds(),
          results: { ...results(), statistics },
          history: [...a.run.history, { step, epoch: null, at, metrics: etaMetrics(stats) }],
          attacks: [...a.run.attacks, ...etaAttacks(stats)],
          summary: privatizeSummary(statistics),
          checkpoint: { kind: 'privatize-etas', key: `${a.id}#results.statistics`, step: statistics.length, savedAt: at },
          progress: { fraction: statistics.length / total, stage: `η = ${stats.eta} done` },
        },
        'now',
      );
      this.#progress(statistics.length / total, `η = ${stats.eta} done`);
    };

    const remaining = remainingEtas(a.run as PrivatizeRun);
    if (remaining.length > 0) {
      const done = total - remaining.length;
      const finished = await engine.sweepEta(
        sweepRequest(spec, texts, remaining),
        (p) => {
          this.#repeatCancel(engine);
          const fraction = (done + p.fraction * remaining.length) / total;
          this.#progress(fraction, p.stage);
          void a.save({ progress: { fraction, stage: p.stage } }, 'batched');
        },
        (stats) => {
          pending.promise = pending.promise.then(() => checkpoint(stats));
        },
      );
      // Every η the engine returned is checkpointed, even if its callback was lost on the way.
      for (const stats of finished) pending.promise = pending.promise.then(() => checkpoint(stats));
      await pending.promise;
    }
    a.throwIfStopped();

    this.#progress(1, 'privatising the sample sentences');
    const privatizedSamples: PrivatizeRun['results']['privatizedSamples'] = [];
    for (const eta of spec.etas) {
      const out = await engine.privatizeTexts({ texts: texts.slice(0, SAMPLE_TEXTS), eta, seed });
      privatizedSamples.push({ eta, texts: out.map((t) => t.privatizedText) });
    }
    await a.save(
      {
        status: 'done',
        finishedAt: now().toISOString(),
        seconds: a.seconds(),
        summary: privatizeSummary(results().statistics),
        results: { ...results(), privatizedSamples },
        progress: { fraction: 1, stage: 'done' },
      },
      'now',
    );
  }

  // ── train and compare ───────────────────────────────────────────────────────────────────────────────

  async #trainingData(spec: TrainingSpec): Promise<TrainingData> {
    if (!this.#deps.loadTrainingData) throw new Error('This page cannot load training data.');
    return this.#deps.loadTrainingData(spec);
  }

  /** The live position and progress line of a training progress event. */
  #live(p: TrainingProgress, cell: string): { live: TrainLive; stage: string } {
    const live: TrainLive = { phase: p.phase, step: p.step, totalSteps: p.totalSteps, examplesPerSecond: finiteOrNull(p.examplesPerSecond), etaSeconds: finiteOrNull(p.etaSeconds), cell };
    const where = p.phase === 'privatising' ? 'privatising the examples' : `${p.phase === 'evaluating' ? 'evaluating at' : 'training:'} step ${p.step} of ${p.totalSteps}`;
    return { live, stage: cell ? `${cell}: ${where}` : where };
  }

  async #runTrain(a: Attempt, started: TrainRun, engine: QueueEngine, environment: RunEnvironment): Promise<void> {
    const { now, checkpoints } = this.#deps;
    const spec = started.spec;
    const results = () => a.run.results as TrainRun['results'];
    const data = await this.#trainingData(spec);
    // The split is cheap and says early when the data cannot be split (too few examples).
    const split = splitForSeed(spec, data, started.seed);
    a.throwIfStopped();

    const key = checkpointKey(a.id);
    let resume: TrainCheckpoint | undefined;
    let note = '';
    // Only this run's own key: an imported record cannot point a run at another run's weights.
    if (started.checkpoint?.kind === 'train-weights' && started.checkpoint.key === key) {
      resume = readCheckpoint(await checkpoints.get(key).catch(() => undefined)) ?? undefined;
      if (!resume) note = 'its checkpoint is not in this browser, so it starts again from step 0';
      // Trained weights belong to the model they were trained on (a spec on the "loaded" model may meet another one).
      const before = a.before.environment?.model;
      const nowModel = environment.model;
      if (resume && before && nowModel && before.id !== nowModel.id) {
        resume = undefined;
        note = `it was trained on ${before.name} and ${nowModel.name} is loaded now, so it starts again from step 0`;
      }
    }
    const at = now().toISOString();
    // The record's curves restart from the checkpoint: training replays every step after it.
    let history = resume ? historyFromCheckpoint(resume.history, started.history, at) : [];
    let evals = resume ? resume.evals.map(storedEval) : [];
    const stage = resume ? `resuming from step ${resume.step}` : note ? `resuming: ${note}` : 'starting';
    await a.save(
      {
        history,
        summary: partialTrainSummary(evals),
        checkpoint: resume ? started.checkpoint : null,
        results: { ...results(), data: storedDataSummary(split.summary), evals, live: null, outcome: null, plainTokenText: null },
        progress: { ...a.run.progress, stage },
      },
      'now',
    );
    this.#progress(startFractionOf(started), stage);
    a.throwIfStopped();

    // Progress messages come through their own channel and may arrive after the result: ignore those.
    let settled = false;
    const onProgress = (p: TrainingProgress) => {
      if (settled) return;
      this.#repeatCancel(engine);
      const stamp = now().toISOString();
      if (p.point) history = [...history.filter((h) => h.step < p.point!.step), trainHistoryPoint(storedPoint(p.point), stamp)];
      if (p.evaluation) evals = [...evals.filter((e) => e.step < p.evaluation!.step), storedEval(p.evaluation)];
      const { live, stage } = this.#live(p, '');
      this.#progress(p.overall, stage, live.etaSeconds);
      void a.save({ history, summary: partialTrainSummary(evals), results: { ...results(), evals, live }, progress: { fraction: p.overall, stage } }, p.evaluation ? 'now' : 'batched');
    };
    const onCheckpoint = async (c: TrainCheckpoint) => {
      if (settled) return;
      await checkpoints.set(key, c);
      await a.save({ seconds: a.seconds(), checkpoint: { kind: 'train-weights', key, step: c.step, savedAt: now().toISOString() } }, 'now');
    };
    let outcome;
    try {
      outcome = await runTrainExperiment(engine.trainer, spec, data, environment.appVersion, onProgress, resume, onCheckpoint);
    } finally {
      settled = true;
    }
    const result = outcome.result;
    let plainTokenText: string[] | null = null;
    // Pieces of the bundled vocabulary; another model's plain tokens are shown as ids.
    if (result.plainTokens && this.#deps.tokenText && spec.model.id === 'use-lite') plainTokenText = await this.#deps.tokenText(result.plainTokens).catch(() => null);
    const stamp = now().toISOString();
    const savedAt = new Map(history.map((h) => [h.step, h.at]));
    const finalEvals = result.evals.map(storedEval);
    const final = trainOutcome(result);
    await a.save(
      {
        status: 'done',
        finishedAt: stamp,
        seconds: a.seconds(),
        history: result.history.map((p) => trainHistoryPoint(storedPoint(p), savedAt.get(p.step) ?? stamp)),
        summary: trainSummary(final, finalEvals),
        checkpoint: null,
        results: { kind: 'train', data: storedDataSummary(outcome.data), live: null, evals: finalEvals, outcome: final, plainTokenText },
        progress: { fraction: 1, stage: 'done' },
      },
      'now',
    );
    // The weights were only kept to resume; a finished run's numbers are all in its record.
    await checkpoints.delete([key]).catch(() => {});
  }

  async #runCompare(a: Attempt, started: CompareRun, engine: QueueEngine, environment: RunEnvironment): Promise<void> {
    const { now } = this.#deps;
    const spec = started.spec;
    const results = () => a.run.results as CompareRun['results'];
    const data = await this.#trainingData(spec);
    const summary = storedDataSummary(splitForSeed(spec, data, spec.seeds[0]).summary);
    const total = compareCells(spec).length;
    await a.save({ results: { ...results(), data: summary, live: null } }, 'batched');
    a.throwIfStopped();

    let settled = false;
    const onProgress = (p: TrainingProgress) => {
      if (settled) return;
      this.#repeatCancel(engine);
      const { live, stage } = this.#live(p, p.cell);
      this.#progress(p.overall, stage);
      void a.save({ results: { ...results(), live }, progress: { fraction: p.overall, stage } }, 'batched');
    };
    const onCell = async (cell: CompareCell) => {
      const stored = storedCompareCell(cell);
      const cells = [...results().cells, stored];
      const at = now().toISOString();
      const fraction = cells.length / total;
      const stage = `${cells.length} of ${total} cells done`;
      await a.save(
        {
          seconds: a.seconds(),
          results: { ...results(), cells, live: null },
          history: [...a.run.history, compareHistoryPoint(stored, a.run.history.length, at)],
          summary: compareSummary(cells),
          checkpoint: { kind: 'compare-cells', key: `${a.id}#results.cells`, step: cells.length, savedAt: at },
          progress: { fraction, stage },
        },
        'now',
      );
      this.#progress(fraction, stage);
      // Stop between cells too (the engine forgets a cancel when the next cell starts).
      a.throwIfStopped();
    };
    try {
      await runCompareExperiment(engine.trainer, spec, data, environment.appVersion, onProgress, started.results.cells.map(toCompareCell), onCell);
    } finally {
      settled = true;
    }
    const cells = results().cells;
    await a.save(
      {
        status: 'done',
        finishedAt: now().toISOString(),
        seconds: a.seconds(),
        summary: compareSummary(cells),
        results: { ...results(), data: summary, live: null },
        progress: { fraction: 1, stage: 'done' },
      },
      'now',
    );
  }

  #progress(fraction: number, stage: string, etaSeconds: number | null = null): void {
    if (!this.#current) return;
    this.#current = { ...this.#current, fraction, stage, etaSeconds };
    this.#emit();
  }
}

/** How far a run had got before this attempt (a resumed run starts part-way). */
function startFractionOf(run: RunRecord): number {
  if (isPrivatizeRun(run)) return run.results.statistics.length / run.spec.etas.length;
  if (isCompareRun(run)) return run.results.cells.length / Math.max(1, compareCells(run.spec).length);
  if (isTrainRun(run) && run.checkpoint && run.results.live && run.results.live.totalSteps > 0) return Math.min(1, run.checkpoint.step / run.results.live.totalSteps);
  return 0;
}

/** Expected seconds left for the current run, from the pace of this attempt; null until there is a pace. */
export function secondsLeft(current: CurrentRun, nowMs: number): number | null {
  if (typeof current.etaSeconds === 'number' && Number.isFinite(current.etaSeconds)) return current.etaSeconds;
  const progressed = current.fraction - current.attemptStartFraction;
  const elapsed = (nowMs - current.attemptStartedMs) / 1000;
  if (progressed <= 0.01 || elapsed <= 0) return null;
  return (elapsed * (1 - current.fraction)) / progressed;
}
