// What a privatize run reports, in the run record's generic terms (storage/runRecord.ts): one metric-history
// point per finished η, summary metrics with the η in their names (flat, for the runs table and the CSV),
// and the attack results. The trade-off plots' axes are defined here too.
//
// Utility, honestly: privatize runs train nothing, so there is no task accuracy yet. Until training runs
// exist, the utility side is a *proxy* — how much of the text survives privatisation: P(token unchanged)
// (higher = more utility) and mean distance moved in embedding space (lower = more utility).

import type { EtaStatistics, Proportion } from '../privacy/statistics/etaSweep';

export interface MetricDefinition {
  /** Key in a history point's metrics and (with @η=…) in the summary. */
  key: string;
  label: string;
  /** Which side of the trade-off it measures. */
  side: 'utility' | 'attack' | 'other';
  /** Higher is better for the user (utility) / for the attacker (attack). */
  higherIsMore: boolean;
  /** Proportions have a standard error per run and live in [0, 1]. */
  proportion: boolean;
}

export const UTILITY_PROXY_NOTE = 'utility proxy until training runs exist';

export const PRIVATIZE_METRICS: readonly MetricDefinition[] = [
  { key: 'pUnchanged', label: `P(token unchanged) — ${UTILITY_PROXY_NOTE}`, side: 'utility', higherIsMore: true, proportion: true },
  { key: 'meanDistanceMoved', label: `mean distance moved (lower keeps more) — ${UTILITY_PROXY_NOTE}`, side: 'utility', higherIsMore: false, proportion: false },
  { key: 'attackNearestNeighbour', label: 'nearest-neighbour attack success', side: 'attack', higherIsMore: true, proportion: true },
  { key: 'attackIdentity', label: 'identity attack success (= P(unchanged))', side: 'attack', higherIsMore: true, proportion: true },
  { key: 'attackBayes', label: 'Bayes-optimal attack success', side: 'attack', higherIsMore: true, proportion: true },
  { key: 'expectedNoiseRadius', label: 'expected noise radius d/η', side: 'other', higherIsMore: false, proportion: false },
  { key: 'seconds', label: 'seconds for this η', side: 'other', higherIsMore: false, proportion: false },
];

export const metricDefinition = (key: string): MetricDefinition | undefined => PRIVATIZE_METRICS.find((m) => m.key === key);

/** A metric's value and (for proportions) standard error in one η's statistics; null when not measured. */
export function metricOf(stats: EtaStatistics, key: string): { value: number; standardError: number | null } | null {
  const p = (x: Proportion | null) => (x ? { value: x.value, standardError: x.standardError } : null);
  switch (key) {
    case 'pUnchanged':
      return p(stats.pUnchanged);
    case 'meanDistanceMoved':
      return { value: stats.meanDistanceMoved, standardError: null };
    case 'attackNearestNeighbour':
      return p(stats.attacks.nearestNeighbour);
    case 'attackIdentity':
      return p(stats.attacks.identity);
    case 'attackBayes':
      return p(stats.attacks.bayes);
    case 'expectedNoiseRadius':
      return { value: stats.expectedNoiseRadius, standardError: null };
    case 'seconds':
      return { value: stats.seconds, standardError: null };
    default:
      return null;
  }
}

/** The metric-history point for one finished η. */
export function etaMetrics(stats: EtaStatistics): Record<string, number | null> {
  return {
    eta: stats.eta,
    ...Object.fromEntries(PRIVATIZE_METRICS.map((m) => [m.key, metricOf(stats, m.key)?.value ?? null])),
  };
}

export interface AttackResult {
  attack: 'identity' | 'nearestNeighbour' | 'bayes';
  /** The η it was measured at (privatize runs); null for attacks on a trained model. */
  eta: number | null;
  value: number;
  standardError: number;
  n: number;
  /** What the attack was restricted to, if anything. */
  note: string | null;
}

export function etaAttacks(stats: EtaStatistics): AttackResult[] {
  const a = stats.attacks;
  const row = (attack: AttackResult['attack'], p: Proportion, note: string | null = null): AttackResult => ({ attack, eta: stats.eta, value: p.value, standardError: p.standardError, n: p.n, note });
  return [row('identity', a.identity), row('nearestNeighbour', a.nearestNeighbour), ...(a.bayes ? [row('bayes', a.bayes, a.bayes.restriction)] : [])];
}

/** Summary metrics: each metric at each η ("pUnchanged@η=50"), plus totals. */
export function privatizeSummary(statistics: readonly EtaStatistics[]): Record<string, number | null> {
  const out: Record<string, number | null> = { etaCount: statistics.length, seconds: statistics.reduce((t, s) => t + s.seconds, 0) };
  for (const s of statistics) {
    for (const m of PRIVATIZE_METRICS) {
      if (m.key === 'seconds' || m.key === 'expectedNoiseRadius') continue;
      // Metrics not measured (the Bayes attack when it was off) are left out, not written as empty.
      const value = metricOf(s, m.key)?.value;
      if (value !== undefined) out[`${m.key}@η=${s.eta}`] = value;
    }
  }
  return out;
}
