// The training runs' numbers reshaped for their plots and tables (the plots are in trainingPlots.ts):
//   - a train run's learning curves: task and reconstruction loss vs step, dev and train accuracy vs step;
//   - a compare run's results table (condition, η, mean ± std over seeds, per-seed values, changed share) and
//     its accuracy vs η (privatised conditions as lines over η, clean ones as horizontal reference lines);
//   - the trade-off view's accuracy per condition and η over selected train and compare runs, with error
//     bars over seeds, and its pairing with attack success measured by privatize runs at the same η.

import { metricOf } from '../experiments/privatizeMetrics';
import { canonicalJson } from '../experiments/specHash';
import type { CompareRow } from '../experiments/trainingExperiment';
import { CONDITION_LABELS, CONDITIONS, PRIVATISED_CONDITIONS, type Condition } from '../experiments/trainingSchema';
import { isCompareRun, isPrivatizeRun, isTrainRun, type MetricPoint, type RunRecord, type StoredEvalPoint, type TrainRun } from '../storage/runRecord';
import { compareRows, curveOfHistory } from '../storage/trainingResults';
import type { SeriesStyle } from './etaCurveData';
import type { TradeoffPair, TradeoffPoint } from './tradeoffData';

export interface StepPoint {
  step: number;
  series: string;
  value: number;
}

export const TRAIN_SERIES = {
  lossTask: { name: 'task loss (cross-entropy)', color: '#4269d0' },
  lossRec: { name: 'reconstruction loss (plain tokens)', color: '#ff725c' },
  devAccuracy: { name: 'dev accuracy', color: '#3ca951' },
  trainAccuracy: { name: 'train accuracy (batches)', color: '#4269d0' },
  recAccuracy: { name: 'plain-token reconstruction accuracy', color: '#ff725c' },
} satisfies Record<string, SeriesStyle>;

/** Task and reconstruction loss vs step (reconstruction only for RAPT runs); only positive values (the plot may be log-scaled). */
export function lossCurves(history: readonly MetricPoint[]): StepPoint[] {
  return curveOfHistory(history).flatMap((p) => [
    ...(p.lossTask !== null && p.lossTask > 0 ? [{ step: p.step, series: TRAIN_SERIES.lossTask.name, value: p.lossTask }] : []),
    ...(p.lossRec !== null && p.lossRec > 0 ? [{ step: p.step, series: TRAIN_SERIES.lossRec.name, value: p.lossRec }] : []),
  ]);
}

/** Dev accuracy at each evaluation, with the training batches' accuracy (and RAPT's reconstruction accuracy) for reference. */
export function accuracyCurves(history: readonly MetricPoint[], evals: readonly StoredEvalPoint[]): StepPoint[] {
  return [
    ...evals.map((e) => ({ step: e.step, series: TRAIN_SERIES.devAccuracy.name, value: e.accuracy })),
    ...curveOfHistory(history).flatMap((p) => [
      ...(p.trainAccuracy !== null ? [{ step: p.step, series: TRAIN_SERIES.trainAccuracy.name, value: p.trainAccuracy }] : []),
      ...(p.recAccuracy !== null ? [{ step: p.step, series: TRAIN_SERIES.recAccuracy.name, value: p.recAccuracy }] : []),
    ]),
  ];
}

/** Whether a train run has (or will have) a reconstruction loss: the RAPT conditions. */
export const hasReconstruction = (run: TrainRun): boolean => run.spec.condition === 'rapt' || run.spec.condition === 'rapt-per-example';

// ── compare runs ────────────────────────────────────────────────────────────────────────────────────────

/** Short condition names for legends and tables (the full ones are CONDITION_LABELS). */
export const CONDITION_SHORT: Record<Condition, string> = {
  'clean-prompt-tuning': 'clean prompt tuning',
  'prompt-tuning': 'prompt tuning (privatised)',
  rapt: 'RAPT',
  'rapt-per-example': 'RAPT, per-example plain tokens',
  'linear-probe': 'linear probe (clean)',
};

/** One colour per condition, the same in every plot. */
export const CONDITION_SERIES: Record<Condition, SeriesStyle> = {
  'clean-prompt-tuning': { name: CONDITION_SHORT['clean-prompt-tuning'], color: '#4269d0', errorBars: true },
  'prompt-tuning': { name: CONDITION_SHORT['prompt-tuning'], color: '#efb118', errorBars: true },
  rapt: { name: CONDITION_SHORT.rapt, color: '#ff725c', errorBars: true },
  'rapt-per-example': { name: CONDITION_SHORT['rapt-per-example'], color: '#a463f2', errorBars: true },
  'linear-probe': { name: CONDITION_SHORT['linear-probe'], color: '#9498a0', errorBars: true },
};

export interface AccuracyEtaPoint {
  series: string;
  eta: number;
  mean: number;
  low: number;
  high: number;
  n: number;
}

export interface AccuracyReference {
  series: string;
  mean: number;
  low: number;
  high: number;
  n: number;
}

export interface AccuracyEtaData {
  points: AccuracyEtaPoint[];
  references: AccuracyReference[];
  series: SeriesStyle[];
}

/** A compare run's table rows, in the schema's condition order and η ascending. */
export const compareRunRows = (run: RunRecord): CompareRow[] => (isCompareRun(run) ? compareRows(run.results.cells) : []);

/** Accuracy vs η for a compare run: mean ± std over seeds; clean conditions become reference lines. */
export function compareAccuracyData(rows: readonly CompareRow[], conditions: readonly Condition[]): AccuracyEtaData {
  const points: AccuracyEtaPoint[] = [];
  const references: AccuracyReference[] = [];
  for (const r of rows) {
    const series = CONDITION_SERIES[r.condition].name;
    const at = { series, mean: r.mean, low: Math.max(0, r.mean - r.std), high: Math.min(1, r.mean + r.std), n: r.accuracies.length };
    if (r.eta === null) references.push(at);
    else points.push({ ...at, eta: r.eta });
  }
  // Every requested condition has a legend entry from the start, so the legend does not jump as cells finish.
  const series = CONDITIONS.filter((c) => conditions.includes(c)).map((c) => ({ ...CONDITION_SERIES[c], errorBars: PRIVATISED_CONDITIONS.includes(c) }));
  return { points, references, series };
}

/** Padded log-scale extent of a list of η values. */
export function etaExtent(etas: readonly number[]): [number, number] {
  return etas.length ? [Math.min(...etas) / 1.3, Math.max(...etas) * 1.3] : [1, 1000];
}

// ── trade-off: accuracy of trained models ───────────────────────────────────────────────────────────────

export interface AccuracyGroup {
  key: string;
  label: string;
  condition: Condition;
  /** Accuracy of each finished training, by η (null: a clean condition). */
  values: { eta: number | null; seed: number; accuracy: number; run: RunRecord }[];
}

/**
 * Finished trainings of the selected runs grouped by condition: train runs that differ only in seed and η
 * form one group (one line over η), and every compare run adds one group per condition.
 */
export function accuracyGroups(runs: readonly RunRecord[]): AccuracyGroup[] {
  const groups = new Map<string, AccuracyGroup & { base: string }>();
  const add = (key: string, base: string, condition: Condition, eta: number | null, seed: number, accuracy: number, run: RunRecord) => {
    const g = groups.get(key) ?? { key, base, label: '', condition, values: [] };
    g.values.push({ eta, seed, accuracy, run });
    groups.set(key, g);
  };
  for (const run of runs) {
    if (isTrainRun(run) && run.results.outcome) {
      const { seeds: _s, name: _n, eta: _e, ...rest } = run.spec;
      add(`train|${canonicalJson(rest)}`, run.spec.name?.trim() || 'train', run.spec.condition, run.results.outcome.eta, run.seed, run.results.outcome.accuracy, run);
    } else if (isCompareRun(run)) {
      for (const c of run.results.cells) add(`compare|${run.id}|${c.condition}`, run.name, c.condition, c.eta, c.seed, c.outcome.accuracy, run);
    }
  }
  const all = [...groups.values()].sort((a, b) => CONDITIONS.indexOf(a.condition) - CONDITIONS.indexOf(b.condition));
  // The condition alone names a group when all come from one experiment; else the experiment's name too.
  const oneBase = new Set(all.map((g) => g.base)).size <= 1;
  const named = all.map(({ base, ...g }) => ({ ...g, label: oneBase ? CONDITION_SHORT[g.condition] : `${base} · ${CONDITION_SHORT[g.condition]}` }));
  // Group labels must be unique (they are the legend).
  const counts = new Map<string, number>();
  for (const g of named) counts.set(g.label, (counts.get(g.label) ?? 0) + 1);
  const seen = new Map<string, number>();
  return named.map((g) => {
    if (counts.get(g.label)! === 1) return g;
    const i = (seen.get(g.label) ?? 0) + 1;
    seen.set(g.label, i);
    return { ...g, label: `${g.label} (${i})` };
  });
}

function meanAndSe(values: readonly number[]): { mean: number; low: number; high: number; n: number; error: TradeoffPoint['error'] } {
  const n = values.length;
  const mean = values.reduce((t, v) => t + v, 0) / n;
  if (n < 2) return { mean, low: mean, high: mean, n, error: 'none' };
  const se = Math.sqrt(values.reduce((t, v) => t + (v - mean) ** 2, 0) / (n - 1)) / Math.sqrt(n);
  return { mean, low: mean - se, high: mean + se, n, error: 'seeds' };
}

/** Accuracy per group and η: mean over seeds ± standard error over seeds; clean conditions as references. */
export function accuracyTradeoff(runs: readonly RunRecord[]): { points: TradeoffPoint[]; references: (Omit<TradeoffPoint, 'eta'> & { eta: null })[] } {
  const points: TradeoffPoint[] = [];
  const references: (Omit<TradeoffPoint, 'eta'> & { eta: null })[] = [];
  for (const g of accuracyGroups(runs)) {
    const byEta = new Map<number | null, number[]>();
    for (const v of g.values) byEta.set(v.eta, [...(byEta.get(v.eta) ?? []), v.accuracy]);
    for (const [eta, values] of [...byEta.entries()].sort(([a], [b]) => (a ?? 0) - (b ?? 0))) {
      if (eta === null) references.push({ group: g.label, eta: null, ...meanAndSe(values) });
      else points.push({ group: g.label, eta, ...meanAndSe(values) });
    }
  }
  return { points, references };
}

/**
 * Accuracy (y) against an attack's success (x) at the same η: the attack is measured by the selected
 * privatize runs (pooled over them, mean ± standard error over runs, or the single run's own standard error).
 */
export function accuracyAttackPairs(runs: readonly RunRecord[], attackMetric: string): TradeoffPair[] {
  const attackAt = new Map<number, { value: number; standardError: number | null }[]>();
  for (const r of runs) {
    if (!isPrivatizeRun(r)) continue;
    for (const s of r.results.statistics) {
      const m = metricOf(s, attackMetric);
      if (m) attackAt.set(s.eta, [...(attackAt.get(s.eta) ?? []), m]);
    }
  }
  const { points } = accuracyTradeoff(runs);
  return points.flatMap((y) => {
    const measured = attackAt.get(y.eta);
    if (!measured) return [];
    const stats = meanAndSe(measured.map((m) => m.value));
    const se = measured.length === 1 ? measured[0].standardError : null;
    const x: TradeoffPoint = se !== null ? { group: y.group, eta: y.eta, ...stats, low: stats.mean - se, high: stats.mean + se, error: 'binomial' } : { group: y.group, eta: y.eta, ...stats };
    return [{ group: y.group, eta: y.eta, x, y }];
  });
}

/** Whether any selected run has trained a model (the trade-off view then offers accuracy as its utility). */
export const hasTrainedRuns = (runs: readonly RunRecord[]): boolean => runs.some((r) => (isTrainRun(r) && r.results.outcome !== null) || (isCompareRun(r) && r.results.cells.length > 0));

export const conditionLabel = (c: Condition): string => CONDITION_LABELS[c];
