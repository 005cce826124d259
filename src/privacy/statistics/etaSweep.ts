// What a value of η does on this embedding table (rapt-method.md §2 and §5), estimated by running the
// mechanism on real token occurrences: for each η and each occurrence, `draws` independent privatisations.
//
//   pUnchanged          P(M(w) = w)
//   distance moved      ‖E[M(w)] − E[w]‖ (on the stored table E), mean over all draws and over changed ones
//   plausible deniability (Feyisetan et al. 2020), per distinct token w over its first occurrence's draws:
//                       N_w = #{M(w) = w}, S_w = #distinct outputs
//   attacks             identity (guess y), nearest neighbour (guess y's nearest other candidate),
//                       Bayes-optimal with the model's token prior (attacks/bayesInversion.ts)
// Tokens that are not candidates (unknown/control) pass through unchanged and are not counted.

import { bayesGuesses } from '../attacks/bayesInversion';
import type { EmbeddingTable } from '../../model/embeddingTable';
import { rowDistance } from '../../model/embeddingTable';
import type { Privatizer } from '../privatize';
import { PhiloxStream } from '../random/philox';
import { ATTACKER_EXAMPLE_BASE, StreamPurpose } from '../random/streams';
import type { TokenRow } from '../tokenRows';

export interface BayesAttackSettings {
  /** K: candidates considered per observed output (its K nearest candidate tokens, itself included). */
  candidates: number;
  /** B: simulated draws of the mechanism per candidate. */
  draws: number;
  /** How many observed (original, output) pairs per η the attack is evaluated on. */
  observations: number;
}

export interface EtaSweepRequest {
  /** Token ids per example (already tokenised on the user side). */
  examples: number[][];
  etas: number[];
  seed: number;
  /** Privatisations per token occurrence (≥ 1). */
  draws: number;
  /** Omit to skip the (expensive) Bayes attack. */
  bayes?: BayesAttackSettings;
}

export interface Proportion {
  /** Fraction of successes. */
  value: number;
  /** Binomial standard error √(p(1−p)/n). */
  standardError: number;
  n: number;
}

export interface EtaStatistics {
  eta: number;
  /** Expected noise radius d/η. */
  expectedNoiseRadius: number;
  occurrences: number;
  pUnchanged: Proportion;
  meanDistanceMoved: number;
  meanDistanceMovedWhenChanged: number | null;
  plausibleDeniability: { draws: number; distinctTokens: number; meanN: number; medianN: number; meanS: number; medianS: number };
  attacks: {
    identity: Proportion;
    nearestNeighbour: Proportion;
    bayes: (Proportion & { candidates: number; draws: number; restriction: string }) | null;
  };
  seconds: number;
}

export interface SweepContext {
  privatizer: Privatizer;
  table: EmbeddingTable;
  logPrior: Float64Array;
  cancelled?: () => boolean;
  /** Called after each η with the finished statistics (so plots can fill in as it goes). */
  onEta?: (stats: EtaStatistics, index: number) => void;
  /** Fraction done in [0, 1]. */
  onProgress?: (fraction: number, stage: string) => void;
}

export function validateSweepRequest(r: EtaSweepRequest): void {
  if (r.etas.length === 0) throw new RangeError('give at least one η');
  for (const eta of r.etas) if (!(eta > 0)) throw new RangeError(`η must be a positive number, got ${eta}`);
  if (!Number.isInteger(r.draws) || r.draws < 1 || r.draws > 10_000) throw new RangeError('draws must be an integer in 1..10000');
  if (r.bayes) {
    const b = r.bayes;
    if (!Number.isInteger(b.candidates) || b.candidates < 1 || b.candidates > 256) throw new RangeError('Bayes candidates must be in 1..256');
    if (!Number.isInteger(b.draws) || b.draws < 1 || b.draws > 10_000) throw new RangeError('Bayes draws must be in 1..10000');
    if (!Number.isInteger(b.observations) || b.observations < 1) throw new RangeError('Bayes observations must be ≥ 1');
  }
}

const proportion = (successes: number, n: number): Proportion => {
  const p = n > 0 ? successes / n : 0;
  return { value: p, standardError: n > 0 ? Math.sqrt((p * (1 - p)) / n) : 0, n };
};

const median = (xs: number[]): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export async function sweepEta(request: EtaSweepRequest, ctx: SweepContext): Promise<EtaStatistics[]> {
  validateSweepRequest(request);
  const { table } = ctx;
  const occurrences: { id: number; example: number; position: number }[] = [];
  request.examples.forEach((ids, example) =>
    ids.forEach((id, position) => {
      if (id < 0 || id >= table.vocabSize) throw new RangeError(`token id ${id} is outside the vocabulary`);
      if (table.candidate[id]) occurrences.push({ id, example, position });
    }),
  );
  const rows: TokenRow[] = [];
  for (const o of occurrences) for (let d = 0; d < request.draws; d++) rows.push({ ...o, draw: d });

  // Nearest other candidate of each output, for the nearest-neighbour attack; shared across η.
  const nearestOther = new Map<number, number>();
  const distanceCache = new Map<number, number>();
  const moved = (w: number, y: number) => {
    if (w === y) return 0;
    const key = w * table.vocabSize + y;
    let d = distanceCache.get(key);
    if (d === undefined) distanceCache.set(key, (d = rowDistance(table, w, y)));
    return d;
  };

  const results: EtaStatistics[] = [];
  const steps = request.etas.length;
  for (let e = 0; e < steps; e++) {
    const eta = request.etas[e];
    const started = performance.now();
    const report = (within: number, stage: string) => ctx.onProgress?.((e + within) / steps, stage);
    const out = await ctx.privatizer.privatize(rows, {
      invEta: 1 / eta,
      seed: request.seed,
      cancelled: ctx.cancelled,
      progress: (done, total) => report((0.5 * done) / total, `η = ${eta}: privatising`),
    });
    const outputs = out.ids;

    let unchanged = 0;
    let movedSum = 0;
    for (let i = 0; i < rows.length; i++) {
      const w = rows[i].id;
      const y = outputs[i];
      if (y === w) unchanged++;
      movedSum += moved(w, y);
    }
    const changed = rows.length - unchanged;

    // Plausible deniability per distinct token, over the draws of its first occurrence.
    const firstRowOf = new Map<number, number>();
    occurrences.forEach((o, i) => {
      if (!firstRowOf.has(o.id)) firstRowOf.set(o.id, i * request.draws);
    });
    const ns: number[] = [];
    const ss: number[] = [];
    for (const [w, start] of firstRowOf) {
      const seen = new Set<number>();
      let n = 0;
      for (let d = 0; d < request.draws; d++) {
        const y = outputs[start + d];
        seen.add(y);
        if (y === w) n++;
      }
      ns.push(n);
      ss.push(seen.size);
    }

    const missing = [...new Set(outputs)].filter((y) => !nearestOther.has(y));
    if (missing.length > 0) {
      const nb = await ctx.privatizer.neighbours(missing, 2);
      missing.forEach((y, i) => nearestOther.set(y, nb[2 * i] === y ? nb[2 * i + 1] : nb[2 * i]));
    }
    let nnHits = 0;
    for (let i = 0; i < rows.length; i++) if (nearestOther.get(outputs[i]) === rows[i].id) nnHits++;

    let bayes: EtaStatistics['attacks']['bayes'] = null;
    if (request.bayes && rows.length > 0) {
      report(0.6, `η = ${eta}: Bayes attack`);
      bayes = await bayesAttack(request.bayes, rows, outputs, eta, request.seed, ctx, (f) => report(0.6 + 0.4 * f, `η = ${eta}: Bayes attack`));
    }

    const stats: EtaStatistics = {
      eta,
      expectedNoiseRadius: table.dim / eta,
      occurrences: occurrences.length,
      pUnchanged: proportion(unchanged, rows.length),
      meanDistanceMoved: rows.length ? movedSum / rows.length : 0,
      meanDistanceMovedWhenChanged: changed ? movedSum / changed : null,
      plausibleDeniability: {
        draws: request.draws,
        distinctTokens: ns.length,
        meanN: ns.length ? ns.reduce((a, b) => a + b, 0) / ns.length : 0,
        medianN: median(ns),
        meanS: ss.length ? ss.reduce((a, b) => a + b, 0) / ss.length : 0,
        medianS: median(ss),
      },
      attacks: {
        identity: proportion(unchanged, rows.length),
        nearestNeighbour: proportion(nnHits, rows.length),
        bayes,
      },
      seconds: (performance.now() - started) / 1000,
    };
    results.push(stats);
    ctx.onEta?.(stats, e);
  }
  ctx.onProgress?.(1, 'done');
  return results;
}

async function bayesAttack(
  settings: BayesAttackSettings,
  rows: TokenRow[],
  outputs: Uint32Array,
  eta: number,
  seed: number,
  ctx: SweepContext,
  progress: (fraction: number) => void,
): Promise<NonNullable<EtaStatistics['attacks']['bayes']>> {
  // A seeded sample of observations, the same for every η (so curves over η compare like with like).
  const order = new PhiloxStream(seed, StreamPurpose.bayesObservations).shuffle([...rows.keys()]);
  const picked = order.slice(0, Math.min(settings.observations, rows.length));
  const observations = picked.map((i) => ({ original: rows[i].id, output: outputs[i] }));

  const observedOutputs = [...new Set(observations.map((o) => o.output))];
  const nb = await ctx.privatizer.neighbours(observedOutputs, settings.candidates);
  const candidatesOf = new Map(observedOutputs.map((y, i) => [y, nb.subarray(i * settings.candidates, (i + 1) * settings.candidates)]));
  const candidateIds = [...new Set([...candidatesOf.values()].flatMap((c) => [...c]))].filter((w) => w < ctx.table.vocabSize);

  // The attacker simulates the mechanism on its own noise (a disjoint counter range).
  const simRows: TokenRow[] = [];
  for (const w of candidateIds) for (let b = 0; b < settings.draws; b++) simRows.push({ id: w, example: ATTACKER_EXAMPLE_BASE + w, position: 0, draw: b });
  const sim = await ctx.privatizer.privatize(simRows, { invEta: 1 / eta, seed, cancelled: ctx.cancelled, progress: (d, t) => progress(d / t) });
  const simulatedOutputs = new Map<number, Map<number, number>>();
  simRows.forEach((r, i) => {
    let h = simulatedOutputs.get(r.id);
    if (!h) simulatedOutputs.set(r.id, (h = new Map()));
    h.set(sim.ids[i], (h.get(sim.ids[i]) ?? 0) + 1);
  });
  const guesses = bayesGuesses({ observations, candidatesOf, simulatedOutputs, logPrior: ctx.logPrior });
  const hits = guesses.filter((g, i) => g === observations[i].original).length;
  return {
    ...proportion(hits, observations.length),
    candidates: settings.candidates,
    draws: settings.draws,
    restriction: `candidates = the ${settings.candidates} candidate tokens nearest to the observed output (itself included); P(M(w)=y) from ${settings.draws} simulated draws per candidate; ${observations.length} observations`,
  };
}
