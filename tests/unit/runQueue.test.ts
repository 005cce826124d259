import { describe, expect, it } from 'vitest';
import type { CorpusTexts } from '../../src/experiments/privatizeExperiment';
import type { PrivatizeExperimentSpec } from '../../src/experiments/schema';
import { recoverInterrupted, RunQueue, secondsLeft } from '../../src/storage/runQueue';
import { memoryBackend, RunStore } from '../../src/storage/runStore';
import { FakeEngine, fakeStats, lease, plannedRuns, privatizeRun, spec } from './runFixtures';

const corpus = async (s: PrivatizeExperimentSpec): Promise<CorpusTexts> => ({ name: 'inline texts', texts: s.corpus.kind === 'inline' ? s.corpus.texts : [], badRows: [] });

async function setup(engine = new FakeEngine(), backend = memoryBackend(), options: { paused?: boolean } = {}) {
  const { store } = await RunStore.open(backend);
  const queue = new RunQueue(
    { store, acquire: async () => lease(engine), loadCorpus: corpus, isInterruption: (e) => (e as Error).name === 'GpuError' },
    options,
  );
  return { store, queue, engine, backend };
}

describe('run queue', () => {
  it('runs a queued experiment: history per η, summary, attacks, checkpoint, samples, environment', async () => {
    const { store, queue } = await setup();
    const [queued] = await queue.enqueue(plannedRuns(spec()), 'tiny');
    await queue.idle();
    const run = privatizeRun(store.get(queued.id));
    expect(run.status).toBe('done');
    expect(run.results.statistics.map((s) => s.eta)).toEqual([5, 50, 500]);
    expect(run.history.map((h) => h.metrics.eta)).toEqual([5, 50, 500]);
    expect(run.summary['pUnchanged@η=50']).toBeCloseTo(fakeStats(1, 50).pUnchanged.value);
    expect(run.attacks.filter((a) => a.attack === 'nearestNeighbour')).toHaveLength(3);
    expect(run.checkpoint).toMatchObject({ kind: 'privatize-etas', step: 3 });
    expect(run.environment?.adapter.architecture).toBe('swiftshader');
    expect(run.results.privatizedSamples.map((p) => p.eta)).toEqual([5, 50, 500]);
    expect(run.results.privatizedSamples[0].texts[0]).toBe('a good film [η=5 seed=1]');
    expect(run.results.corpus).toEqual({ name: 'inline texts', sentences: 3, sampled: 3, badRows: 0 });
    expect(run.progress.fraction).toBe(1);
    expect(run.startedAt).not.toBeNull();
    expect(run.finishedAt).not.toBeNull();
  });

  it('a sweep runs one run after another, in order', async () => {
    const { store, queue, engine } = await setup();
    const runs = await queue.enqueue(plannedRuns(spec({ seeds: [1, 2] })), 'tiny sweep');
    await queue.idle();
    expect(engine.requests.map((r) => r.seed)).toEqual([1, 2]);
    expect(runs.map((r) => store.get(r.id)!.status)).toEqual(['done', 'done']);
    expect(store.get(runs[1].id)!.sweep).toMatchObject({ label: 'tiny sweep', index: 1, total: 2 });
  });

  it('a reload mid-run leaves an interrupted run with its history, and resuming runs only the remaining η with the same seed', async () => {
    const backend = memoryBackend();
    const first = await setup(new FakeEngine(), backend);
    first.engine.holdAfter(1);
    const [queued] = await first.queue.enqueue(plannedRuns(spec({ seeds: [7] })), 'tiny');
    await first.engine.reached;
    await first.store.flush();
    // The page goes away here: nothing more is written by it.

    const second = await setup(new FakeEngine(), backend, { paused: true });
    const interrupted = await recoverInterrupted(second.store);
    expect(interrupted.map((r) => r.id)).toEqual([queued.id]);
    const stored = privatizeRun(second.store.get(queued.id));
    expect(stored.status).toBe('interrupted');
    expect(stored.interruptions).toBe(1);
    expect(stored.history).toHaveLength(1);
    expect(stored.results.statistics.map((s) => s.eta)).toEqual([5]);

    await second.queue.resume([queued.id]);
    await second.queue.idle();
    expect(second.engine.requests).toEqual([expect.objectContaining({ etas: [50, 500], seed: 7 })]);
    const done = privatizeRun(second.store.get(queued.id));
    expect(done.status).toBe('done');
    expect(done.results.statistics).toEqual([5, 50, 500].map((eta) => fakeStats(7, eta)));
    expect(done.history.map((h) => h.step)).toEqual([0, 1, 2]);
  });

  it('a paused queue (after a reload) waits for the user', async () => {
    const { store, queue, engine } = await setup(new FakeEngine(), memoryBackend(), { paused: true });
    const [r] = await queue.enqueue(plannedRuns(spec()), 'x');
    // enqueue starts the queue: adding a run is the user's click.
    await queue.idle();
    expect(store.get(r.id)!.status).toBe('done');
    queue.pause();
    const [r2] = await queue.enqueue(plannedRuns(spec({ name: 'y' })), 'y');
    await queue.idle();
    expect(store.get(r2.id)!.status).toBe('done');
    expect(engine.requests).toHaveLength(2);
  });

  it('cancels the running run (resumable) and queued runs', async () => {
    const { store, queue, engine } = await setup();
    engine.holdAfter(1);
    const [a, b] = await queue.enqueue(plannedRuns(spec({ seeds: [1, 2] })), 's');
    await engine.reached;
    await queue.cancel([b.id]);
    expect(store.get(b.id)!.status).toBe('cancelled');
    await queue.cancel([a.id]);
    await queue.idle();
    const cancelled = privatizeRun(store.get(a.id));
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.results.statistics).toHaveLength(1);
    expect(engine.requests).toHaveLength(1);

    await queue.resume([a.id]);
    await queue.idle();
    expect(store.get(a.id)!.status).toBe('done');
    expect(engine.requests.at(-1)!.etas).toEqual([50, 500]);
  });

  it('a failure is recorded with its reason; a lost GPU leaves the run interrupted', async () => {
    const { store, queue, engine } = await setup();
    engine.failWith = Object.assign(new Error('bad things'), { name: 'RangeError' });
    const [a] = await queue.enqueue(plannedRuns(spec()), 'x');
    await queue.idle();
    expect(store.get(a.id)).toMatchObject({ status: 'failed', failure: { name: 'RangeError', message: 'bad things' } });

    engine.failWith = Object.assign(new Error('The GPU device was lost'), { name: 'GpuError' });
    const [b] = await queue.enqueue(plannedRuns(spec({ name: 'b' })), 'x');
    await queue.idle();
    expect(store.get(b.id)).toMatchObject({ status: 'interrupted', failure: { name: 'GpuError' } });
  });

  it('interruptCurrent stops a run as interrupted and pauses the queue', async () => {
    const { store, queue, engine } = await setup();
    engine.holdAfter(2);
    const [a, b] = await queue.enqueue(plannedRuns(spec({ seeds: [1, 2] })), 's');
    await engine.reached;
    await queue.interruptCurrent('another model was loaded');
    expect(store.get(a.id)).toMatchObject({ status: 'interrupted', failure: { message: 'another model was loaded' } });
    expect(privatizeRun(store.get(a.id)).results.statistics).toHaveLength(2);
    expect(store.get(b.id)!.status).toBe('queued');
    expect(queue.paused).toBe(true);
  });

  it('estimates the time left from this attempt’s pace', () => {
    expect(secondsLeft({ id: 'x', attemptStartedMs: 0, attemptStartFraction: 0.5, fraction: 0.75, stage: '' }, 10_000)).toBeCloseTo(10);
    expect(secondsLeft({ id: 'x', attemptStartedMs: 0, attemptStartFraction: 0.5, fraction: 0.5, stage: '' }, 10_000)).toBeNull();
  });

  it('a run deleted while it runs is not written back', async () => {
    const { store, queue, engine } = await setup();
    engine.holdAfter(1);
    const [a] = await queue.enqueue(plannedRuns(spec()), 'x');
    await engine.reached;
    await store.remove([a.id]);
    engine.release();
    await queue.idle();
    expect(store.get(a.id)).toBeUndefined();
  });
});
