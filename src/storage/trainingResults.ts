// What train and compare runs report, in the run record's terms (runRecord.ts) — the counterpart of
// experiments/privatizeMetrics.ts for privatize runs:
//   history   train: one point per learning-curve readback (step, epoch, task and reconstruction loss, train
//             and reconstruction accuracy, gradient norm, learning rate, examples/s);
//             compare: one point per finished cell (its accuracy, η and seed);
//   summary   flat numbers for the runs table, the compare view and the CSV: train — final dev accuracy,
//             loss, steps, changed-token share, trained parameters, seconds; compare — the mean and spread of
//             the accuracy per condition and η ("accuracy[rapt]@η=20");
//   results   the typed parts (evaluations, outcome, cells).
// Numbers a diverged run makes non-finite are stored as null (JSON has no NaN) and handed back to the
// training code as NaN.

import { compareTable, type CompareCell, type CompareRow, type DataSummary } from '../experiments/trainingExperiment';
import { CONDITIONS, PRIVATISED_CONDITIONS, type Condition } from '../experiments/trainingSchema';
import type { EvalPoint, TrainPoint, TrainResult } from '../training/trainTypes';
import type { MetricPoint, StoredCompareCell, StoredDataSummary, StoredEvalPoint, StoredTrainPoint, TrainOutcome } from './runRecord';

/** A finite number, or null (NaN, ±Infinity, undefined). */
export const finiteOrNull = (x: number | null | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const share = (x: number | null | undefined): number | null => {
  const v = finiteOrNull(x);
  return v === null ? null : Math.min(1, Math.max(0, v));
};
const count = (x: number): number => (Number.isFinite(x) && x > 0 ? Math.floor(x) : 0);
const nan = (x: number | null): number => x ?? Number.NaN;

export function storedPoint(p: TrainPoint): StoredTrainPoint {
  return {
    step: count(p.step),
    epoch: count(p.epoch),
    examples: count(p.examples),
    lossTask: finiteOrNull(p.lossTask),
    lossRec: finiteOrNull(p.lossRec),
    trainAccuracy: share(p.trainAccuracy),
    recAccuracy: share(p.recAccuracy),
    gradNorm: finiteOrNull(p.gradNorm),
    lr: finiteOrNull(p.lr),
    examplesPerSecond: finiteOrNull(p.examplesPerSecond),
  };
}

export function storedEval(p: EvalPoint): StoredEvalPoint {
  return { step: count(p.step), epoch: count(p.epoch), accuracy: share(p.accuracy) ?? 0, loss: finiteOrNull(p.loss), examples: count(p.examples) };
}

const TRAIN_POINT_METRICS = ['examples', 'lossTask', 'lossRec', 'trainAccuracy', 'recAccuracy', 'gradNorm', 'lr', 'examplesPerSecond'] as const;

/** A learning-curve point as a history point of the record. */
export function trainHistoryPoint(p: StoredTrainPoint, at: string): MetricPoint {
  return { step: p.step, epoch: p.epoch, at, metrics: Object.fromEntries(TRAIN_POINT_METRICS.map((k) => [k, p[k]])) };
}

/** The learning curve back from a train run's history (points without a loss are skipped). */
export function curveOfHistory(history: readonly MetricPoint[]): StoredTrainPoint[] {
  return history.flatMap((h) => {
    const m = h.metrics;
    if (!('lossTask' in m)) return [];
    const n = (k: string) => (typeof m[k] === 'number' ? m[k] : null);
    const s = (k: string) => {
      const v = n(k);
      return v === null ? null : Math.min(1, Math.max(0, v));
    };
    return [{ step: h.step, epoch: h.epoch ?? 0, examples: n('examples') ?? 0, lossTask: n('lossTask'), lossRec: n('lossRec'), trainAccuracy: s('trainAccuracy'), recAccuracy: s('recAccuracy'), gradNorm: n('gradNorm'), lr: n('lr'), examplesPerSecond: n('examplesPerSecond') }];
  });
}

/**
 * The record's history for a run resumed from a checkpoint: the checkpoint's points (training replays every
 * step after it), keeping the time each was first saved.
 */
export function historyFromCheckpoint(points: readonly TrainPoint[], previous: readonly MetricPoint[], now: string): MetricPoint[] {
  const savedAt = new Map(previous.map((h) => [h.step, h.at]));
  return points.map((p) => trainHistoryPoint(storedPoint(p), savedAt.get(p.step) ?? now));
}

export function trainOutcome(r: TrainResult): TrainOutcome {
  const eta = finiteOrNull(r.eta);
  return {
    condition: r.condition,
    eta: eta !== null && eta > 0 ? eta : null,
    seed: r.seed,
    accuracy: share(r.accuracy) ?? 0,
    loss: finiteOrNull(r.loss),
    steps: count(r.steps),
    trainExamples: count(r.trainExamples),
    devExamples: count(r.devExamples),
    changedFraction: share(r.changedFraction) ?? 0,
    plainTokens: r.plainTokens ? r.plainTokens.map(count) : null,
    shape: {
      promptLength: count(r.shape.promptLength),
      plainLength: count(r.shape.plainLength),
      reconstructionWidth: count(r.shape.reconstructionWidth),
      targetVocab: count(r.shape.targetVocab),
      classes: count(r.shape.classes),
      trainedParameters: count(r.shape.trainedParameters),
    },
    seconds: { privatise: Math.max(0, finiteOrNull(r.seconds.privatise) ?? 0), train: Math.max(0, finiteOrNull(r.seconds.train) ?? 0), evaluate: Math.max(0, finiteOrNull(r.seconds.evaluate) ?? 0) },
  };
}

/** The data summary without the bad rows' details (counts only). */
export function storedDataSummary(d: DataSummary): StoredDataSummary {
  return {
    train: { name: d.train.name, rows: count(d.train.rows), used: count(d.train.used), badRows: count(d.train.badRows), classCounts: d.train.classCounts.map(count) },
    dev: { name: d.dev.name, rows: count(d.dev.rows), used: count(d.dev.used), badRows: count(d.dev.badRows) },
    labelNames: [...d.labelNames],
  };
}

/** A train run's summary metrics. */
export function trainSummary(outcome: TrainOutcome, evals: readonly StoredEvalPoint[]): Record<string, number | null> {
  return {
    accuracy: outcome.accuracy,
    bestAccuracy: evals.length ? Math.max(...evals.map((e) => e.accuracy)) : outcome.accuracy,
    loss: outcome.loss,
    steps: outcome.steps,
    trainExamples: outcome.trainExamples,
    devExamples: outcome.devExamples,
    changedFraction: outcome.changedFraction,
    trainedParameters: outcome.shape.trainedParameters,
    seconds: outcome.seconds.privatise + outcome.seconds.train + outcome.seconds.evaluate,
  };
}

/** The summary while a train run is under way (or stopped): the latest evaluation. */
export function partialTrainSummary(evals: readonly StoredEvalPoint[]): Record<string, number | null> {
  const last = evals.at(-1);
  return last ? { accuracy: last.accuracy, bestAccuracy: Math.max(...evals.map((e) => e.accuracy)), loss: last.loss, steps: last.step } : {};
}

// ── compare ─────────────────────────────────────────────────────────────────────────────────────────────

export function storedCompareCell(c: CompareCell): StoredCompareCell {
  const eta = finiteOrNull(c.eta);
  return { condition: c.condition, eta: eta !== null && eta > 0 ? eta : null, seed: c.seed, outcome: trainOutcome(c.result), history: c.result.history.map(storedPoint), evals: c.result.evals.map(storedEval) };
}

/** A stored cell as the training code's CompareCell (a resumed run's `done` cells; the table). */
export function toCompareCell(c: StoredCompareCell): CompareCell {
  const o = c.outcome;
  return {
    condition: c.condition,
    eta: c.eta,
    seed: c.seed,
    result: {
      ...o,
      loss: nan(o.loss),
      plainTokens: o.plainTokens ? [...o.plainTokens] : null,
      history: c.history.map((p) => ({
        ...p,
        lossTask: nan(p.lossTask),
        trainAccuracy: nan(p.trainAccuracy),
        gradNorm: nan(p.gradNorm),
        lr: nan(p.lr),
        examplesPerSecond: nan(p.examplesPerSecond),
      })),
      evals: c.evals.map((e) => ({ ...e, loss: nan(e.loss) })),
    },
  };
}

/** The results table of a compare run (rapt-method.md §5): mean ± std over seeds per condition and η. */
export function compareRows(cells: readonly StoredCompareCell[]): CompareRow[] {
  const rows = compareTable(cells.map(toCompareCell));
  // Condition order of the schema, then η ascending (clean conditions have none).
  return rows.sort((a, b) => CONDITIONS.indexOf(a.condition) - CONDITIONS.indexOf(b.condition) || (a.eta ?? 0) - (b.eta ?? 0));
}

/** "accuracy[rapt]@η=20" — the η part is last so CSV columns sort by condition, then η as a number. */
export const compareMetricKey = (metric: string, condition: Condition, eta: number | null): string => `${metric}[${condition}]${eta === null ? '' : `@η=${eta}`}`;

export function compareSummary(cells: readonly StoredCompareCell[]): Record<string, number | null> {
  const out: Record<string, number | null> = { cells: cells.length };
  for (const row of compareRows(cells)) {
    out[compareMetricKey('accuracy', row.condition, row.eta)] = finiteOrNull(row.mean);
    out[compareMetricKey('accuracyStd', row.condition, row.eta)] = finiteOrNull(row.std);
    if (PRIVATISED_CONDITIONS.includes(row.condition)) out[compareMetricKey('changedFraction', row.condition, row.eta)] = finiteOrNull(row.changedFraction);
  }
  return out;
}

/** A finished cell as a history point of the compare run. */
export function compareHistoryPoint(cell: StoredCompareCell, step: number, at: string): MetricPoint {
  return {
    step,
    epoch: null,
    at,
    metrics: { condition: CONDITIONS.indexOf(cell.condition), eta: cell.eta, seed: cell.seed, accuracy: cell.outcome.accuracy, changedFraction: cell.outcome.changedFraction, steps: cell.outcome.steps },
  };
}
