// Shared fixtures for the run-workspace unit tests: a fake engine with deterministic per-η statistics
// (like the real one: a function of seed and η only), specs and stored records.
import { parseExperimentSpec, type ExperimentSpec } from '../../src/experiments/schema';
import { expandSweep } from '../../src/experiments/sweep';
import type { EtaStatistics } from '../../src/privacy/statistics/etaSweep';
import type { EngineLease, QueueEngine } from '../../src/storage/runQueue';
import { conditionHash, specHash } from '../../src/experiments/specHash';
import { newRunRecord, type RunEnvironment, type RunRecord } from '../../src/storage/runRecord';
import type { PrivatizedText, SweepTextsRequest } from '../../src/worker/engineApi';

export const spec = (over: Record<string, unknown> = {}): ExperimentSpec =>
  parseExperimentSpec({
    schemaVersion: 2, kind: 'privatize', name: 'tiny', corpus: { kind: 'inline', texts: ['a good film', 'a dull film', 'loved it'] },
    etas: [5, 50, 500], seeds: [1], sampleSize: 5, draws: 1, attacks: { bayes: { enabled: false } }, ...over,
  });

export function fakeStats(seed: number, eta: number): EtaStatistics {
  const p = Math.min(1, eta / 600 + seed / 1000);
  const prop = (value: number) => ({ value, standardError: Math.sqrt((value * (1 - value)) / 30), n: 30 });
  return {
    eta, expectedNoiseRadius: 256 / eta, occurrences: 10, pUnchanged: prop(p), meanDistanceMoved: 1 - p, meanDistanceMovedWhenChanged: p < 1 ? 1.2 : null,
    plausibleDeniability: { draws: 1, distinctTokens: 5, meanN: p, medianN: p, meanS: 1, medianS: 1 },
    attacks: { identity: prop(p), nearestNeighbour: prop(p / 2), bayes: null }, seconds: 0.5,
  };
}

export const environment: RunEnvironment = {
  adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader', isFallbackAdapter: false, isSoftware: true, features: [], limits: { maxBufferSize: 1 } },
  userAgent: 'test', appVersion: '0.1.0+test', model: { id: 'use-lite', name: 'USE-Lite', vocabSize: 8002, embeddingDim: 256, candidateCount: 7994 },
};

/** A fake engine. `holdAfter(n)`: the sweep waits after n η values until `release()`; `failWith` makes it throw. */
export class FakeEngine implements QueueEngine {
  requests: SweepTextsRequest[] = [];
  cancelled = false;
  failWith: Error | null = null;
  #holdAfter = Infinity;
  #released: (() => void) | null = null;
  #reached: (() => void) | null = null;
  reached: Promise<void> = new Promise((r) => (this.#reached = r));

  holdAfter(n: number) {
    this.#holdAfter = n;
    this.reached = new Promise((r) => (this.#reached = r));
  }

  release() {
    this.#holdAfter = Infinity;
    this.#released?.();
  }

  async sweepEta(request: SweepTextsRequest, onProgress: (p: { fraction: number; stage: string }) => void, onEta: (s: EtaStatistics, i: number) => void) {
    this.requests.push(request);
    this.cancelled = false;
    const out: EtaStatistics[] = [];
    for (const [i, eta] of request.etas.entries()) {
      if (i >= this.#holdAfter) {
        this.#reached?.();
        await new Promise<void>((r) => (this.#released = r));
      }
      if (this.cancelled) throw Object.assign(new Error('cancelled'), { name: 'CancelledError' });
      if (this.failWith) throw this.failWith;
      onProgress({ fraction: (i + 0.5) / request.etas.length, stage: `η = ${eta}` });
      const s = fakeStats(request.seed, eta);
      out.push(s);
      onEta(s, i);
      await Promise.resolve();
    }
    return out;
  }

  async privatizeTexts(request: { texts: string[]; eta: number; seed: number }): Promise<PrivatizedText[]> {
    return request.texts.map((t) => ({ normalized: t, tokens: [], privatizedText: `${t} [η=${request.eta} seed=${request.seed}]`, changedCount: 0 }));
  }

  cancel() {
    this.cancelled = true;
    this.#holdAfter = Infinity;
    this.#released?.();
  }
}

export function lease(engine: QueueEngine): EngineLease {
  return { engine, environment, release: () => {} };
}

export const plannedRuns = (s: ExperimentSpec) => expandSweep(s);

/** A stored record of the tiny spec (queued unless overridden). */
export async function record(id: string, over: Partial<RunRecord> = {}): Promise<RunRecord> {
  const s = spec();
  return {
    ...newRunRecord({ id, name: id, spec: s, specHash: await specHash(s), conditionHash: await conditionHash(s), seed: 1, sweep: null, queuePosition: 1, now: '2025-01-01T00:00:00.000Z' }),
    ...over,
  };
}

