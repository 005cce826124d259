// The trade-off plots' numbers: privatize runs grouped by condition (same spec but for the seed:
// conditionHash), and for each group and η the mean of a metric over its seeds with an error bar — the
// standard error over seeds (sd/√n) when there are several, else the one run's own binomial standard error.
// Trained models' accuracy (train and compare runs) is grouped in trainingData.ts.

import { metricOf } from '../experiments/privatizeMetrics';
import { conditionLabel } from '../experiments/sweep';
import { isPrivatizeRun, type PrivatizeRun, type RunRecord } from '../storage/runRecord';

export interface TradeoffPoint {
  group: string;
  eta: number;
  mean: number;
  low: number;
  high: number;
  /** Seeds that measured it. */
  n: number;
  error: 'seeds' | 'binomial' | 'none';
}

export interface TradeoffPair {
  group: string;
  eta: number;
  x: TradeoffPoint;
  y: TradeoffPoint;
}

export interface RunGroup {
  key: string;
  label: string;
  runs: PrivatizeRun[];
}

/** Privatize runs grouped by conditionHash, labelled by their sweep condition or name; labels are made unique. */
export function groupRuns(runs: readonly RunRecord[]): RunGroup[] {
  const groups = new Map<string, PrivatizeRun[]>();
  for (const r of runs) if (isPrivatizeRun(r)) groups.set(r.conditionHash, [...(groups.get(r.conditionHash) ?? []), r]);
  const out = [...groups.entries()].map(([key, members]) => {
    const first = members[0];
    const base = first.spec.name?.trim() || first.name.replace(/ · seed \d+$/, '');
    const condition = conditionLabel(first.sweep?.condition ?? null);
    return { key, label: condition ? `${base} · ${condition}` : base, runs: members };
  });
  const counts = new Map<string, number>();
  for (const g of out) counts.set(g.label, (counts.get(g.label) ?? 0) + 1);
  return out.map((g) => (counts.get(g.label)! > 1 ? { ...g, label: `${g.label} (${g.key.slice(0, 6)})` } : g));
}

function aggregate(values: { value: number; standardError: number | null }[]): Omit<TradeoffPoint, 'group' | 'eta'> {
  const n = values.length;
  const mean = values.reduce((t, v) => t + v.value, 0) / n;
  if (n >= 2) {
    const sd = Math.sqrt(values.reduce((t, v) => t + (v.value - mean) ** 2, 0) / (n - 1));
    const se = sd / Math.sqrt(n);
    return { mean, low: mean - se, high: mean + se, n, error: 'seeds' };
  }
  const se = values[0].standardError;
  return se === null ? { mean, low: mean, high: mean, n, error: 'none' } : { mean, low: mean - se, high: mean + se, n, error: 'binomial' };
}

/** Mean ± error of one metric per group and η (η ascending). */
export function tradeoffPoints(runs: readonly RunRecord[], metric: string): TradeoffPoint[] {
  return groupRuns(runs).flatMap((g) => {
    const byEta = new Map<number, { value: number; standardError: number | null }[]>();
    for (const r of g.runs)
      for (const s of r.results.statistics) {
        const m = metricOf(s, metric);
        if (m) byEta.set(s.eta, [...(byEta.get(s.eta) ?? []), m]);
      }
    return [...byEta.entries()].sort(([a], [b]) => a - b).map(([eta, values]) => ({ group: g.label, eta, ...aggregate(values) }));
  });
}

/** Utility against attack success: one point per group and η where both were measured. */
export function tradeoffPairs(runs: readonly RunRecord[], xMetric: string, yMetric: string): TradeoffPair[] {
  const ys = new Map(tradeoffPoints(runs, yMetric).map((p) => [`${p.group}\u0000${p.eta}`, p]));
  return tradeoffPoints(runs, xMetric).flatMap((x) => {
    const y = ys.get(`${x.group}\u0000${x.eta}`);
    return y ? [{ group: x.group, eta: x.eta, x, y }] : [];
  });
}
