// The run queue: sweeps expand into queued runs (experiments/sweep.ts) that execute one after another in the
// engine worker. The queue *is* the stored records — every queued run has a queuePosition — so it survives a
// reload with nothing else to keep consistent. On start-up, recover() marks runs that were `running` as
// `interrupted` (the page that ran them is gone) and the queue waits: the user resumes it with one click
// rather than the page restarting GPU work by itself, because a run that crashed the tab or lost the GPU
// would otherwise crash it again on every load.
//
// A privatize run's checkpoint is the list of η values already finished (their statistics, saved as each
// arrives through the engine's onEta). Resuming runs the remaining η values with the same seed: each η's
// statistics depend only on the seed, the sample and η (Philox counters, privacy/random/streams.ts), so a
// resumed run ends with the same numbers as an uninterrupted one.

import { sampleSentences, sweepRequest, type CorpusTexts } from '../experiments/privatizeExperiment';
import { etaAttacks, etaMetrics, privatizeSummary } from '../experiments/privatizeMetrics';
import type { ExperimentSpec } from '../experiments/schema';
import { conditionHash, specHash } from '../experiments/specHash';
import type { PlannedRun } from '../experiments/sweep';
import type { EtaStatistics } from '../privacy/statistics/etaSweep';
import type { PrivatizedText, PrivatizeTextsRequest, SweepProgress, SweepTextsRequest } from '../worker/engineApi';
import { newRunId, newRunRecord, remainingEtas, RESUMABLE, type RunEnvironment, type RunRecord } from './runRecord';
import type { RunStore } from './runStore';

/** What a run needs of the engine (the comlink proxy in the app, with callbacks wrapped; a fake in tests). */
export interface QueueEngine {
  sweepEta(request: SweepTextsRequest, onProgress: (p: SweepProgress) => void, onEta: (stats: EtaStatistics, index: number) => void): Promise<EtaStatistics[]>;
  privatizeTexts(request: PrivatizeTextsRequest): Promise<PrivatizedText[]>;
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
  loadCorpus(spec: ExperimentSpec): Promise<CorpusTexts>;
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

export class RunQueue {
  readonly #deps: Required<Omit<QueueDeps, 'isInterruption'>> & Pick<QueueDeps, 'isInterruption'>;
  readonly #listeners = new Set<() => void>();
  #paused: boolean;
  #looping: Promise<void> | null = null;
  #current: CurrentRun | null = null;
  #lease: EngineLease | null = null;
  #stop: 'cancel' | 'interrupt' | null = null;
  #stopReason = '';

  constructor(deps: QueueDeps, options: { paused?: boolean } = {}) {
    this.#deps = { now: () => new Date(), clock: () => performance.now(), ...deps };
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

  /** Cancels queued runs at once and the running one at its next η boundary (or sooner: the engine checks between chunks). */
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
    const save = async (patch: Partial<RunRecord>, mode: 'now' | 'batched') => {
      run = { ...run, ...patch, updatedAt: now().toISOString() };
      // A run deleted while it ran is not written back.
      if (store.has(id)) await store.save(run, mode);
    };
    const total = run.spec.etas.length;
    const startFraction = run.results.statistics.length / total;
    this.#stop = null;
    this.#current = { id, attemptStartedMs: clock(), attemptStartFraction: startFraction, fraction: startFraction, stage: 'waiting for the engine' };
    this.#emit();
    const attemptStarted = clock();
    const secondsBefore = run.seconds;
    let checkpoints: Promise<void> = Promise.resolve();
    try {
      this.#lease = await this.#deps.acquire(run.spec, () => this.#stop !== null);
      if (this.#stop) throw new StopRequested(this.#stopReason);
      const { engine, environment } = this.#lease;
      await save({ status: 'running', startedAt: run.startedAt ?? now().toISOString(), environment, failure: null, queuePosition: null, progress: { fraction: startFraction, stage: 'loading the corpus' } }, 'now');
      this.#progress(startFraction, 'loading the corpus');

      const spec = run.spec;
      const seed = run.seed;
      const corpus = await this.#deps.loadCorpus(spec);
      const texts = sampleSentences(corpus.texts, spec.sampleSize, seed);
      await save({ results: { ...run.results, corpus: { name: corpus.name, sentences: corpus.texts.length, sampled: texts.length, badRows: corpus.badRows.length } } }, 'batched');
      if (this.#stop) throw new StopRequested(this.#stopReason);

      const checkpoint = async (stats: EtaStatistics) => {
        if (run.results.statistics.some((s) => s.eta === stats.eta)) return;
        // Keep the spec's η order whatever order they finish in.
        const statistics = [...run.results.statistics, stats].sort((a, b) => spec.etas.indexOf(a.eta) - spec.etas.indexOf(b.eta));
        const step = run.history.length;
        const at = now().toISOString();
        await save(
          {
            // Compute time so far, so that an interrupted run still says how long its finished part took.
            seconds: secondsBefore + (clock() - attemptStarted) / 1000,
            results: { ...run.results, statistics },
            history: [...run.history, { step, epoch: null, at, metrics: etaMetrics(stats) }],
            attacks: [...run.attacks, ...etaAttacks(stats)],
            summary: privatizeSummary(statistics),
            checkpoint: { kind: 'privatize-etas', key: `${id}#results.statistics`, step: statistics.length, savedAt: at },
            progress: { fraction: statistics.length / total, stage: `η = ${stats.eta} done` },
          },
          'now',
        );
        this.#progress(statistics.length / total, `η = ${stats.eta} done`);
      };

      const remaining = remainingEtas(run);
      if (remaining.length > 0) {
        const done = total - remaining.length;
        const finished = await engine.sweepEta(
          sweepRequest(spec, texts, remaining),
          (p) => {
            if (this.#stop) void Promise.resolve(engine.cancel()).catch(() => {});
            const fraction = (done + p.fraction * remaining.length) / total;
            this.#progress(fraction, p.stage);
            void save({ progress: { fraction, stage: p.stage } }, 'batched');
          },
          (stats) => {
            checkpoints = checkpoints.then(() => checkpoint(stats));
          },
        );
        // Every η the engine returned is checkpointed, even if its callback was lost on the way.
        for (const stats of finished) checkpoints = checkpoints.then(() => checkpoint(stats));
        await checkpoints;
      }
      if (this.#stop) throw new StopRequested(this.#stopReason);

      this.#progress(1, 'privatising the sample sentences');
      const privatizedSamples: RunRecord['results']['privatizedSamples'] = [];
      for (const eta of spec.etas) {
        const out = await engine.privatizeTexts({ texts: texts.slice(0, SAMPLE_TEXTS), eta, seed });
        privatizedSamples.push({ eta, texts: out.map((t) => t.privatizedText) });
      }
      await save(
        {
          status: 'done',
          finishedAt: now().toISOString(),
          seconds: secondsBefore + (clock() - attemptStarted) / 1000,
          summary: privatizeSummary(run.results.statistics),
          results: { ...run.results, privatizedSamples },
          progress: { fraction: 1, stage: 'done' },
        },
        'now',
      );
    } catch (e) {
      await checkpoints.catch(() => {});
      const seconds = secondsBefore + (clock() - attemptStarted) / 1000;
      const stopped = this.#stop ?? (errorName(e) === 'CancelledError' ? 'cancel' : null);
      if (stopped === 'cancel') {
        await save({ status: 'cancelled', seconds, queuePosition: null, progress: { ...run.progress, stage: 'cancelled' } }, 'now');
      } else if (stopped === 'interrupt' || this.#deps.isInterruption?.(e)) {
        const reason = stopped === 'interrupt' ? this.#stopReason : errorMessage(e);
        await save({ status: 'interrupted', seconds, interruptions: run.interruptions + 1, queuePosition: null, failure: { name: errorName(e), message: reason }, progress: { ...run.progress, stage: 'interrupted' } }, 'now');
      } else {
        await save({ status: 'failed', seconds, queuePosition: null, failure: { name: errorName(e), message: errorMessage(e) }, progress: { ...run.progress, stage: 'failed' } }, 'now');
      }
    } finally {
      this.#lease?.release();
      this.#lease = null;
      this.#current = null;
      this.#stop = null;
      this.#emit();
    }
  }

  #progress(fraction: number, stage: string): void {
    if (!this.#current) return;
    this.#current = { ...this.#current, fraction, stage };
    this.#emit();
  }
}

/** Expected seconds left for the current run, from the pace of this attempt; null until there is a pace. */
export function secondsLeft(current: CurrentRun, nowMs: number): number | null {
  const progressed = current.fraction - current.attemptStartFraction;
  const elapsed = (nowMs - current.attemptStartedMs) / 1000;
  if (progressed <= 0.01 || elapsed <= 0) return null;
  return (elapsed * (1 - current.fraction)) / progressed;
}
