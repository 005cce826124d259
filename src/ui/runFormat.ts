// Small formatting helpers shared by the run views, for every kind of run (privatize, train, compare).

import { compareCells } from '../experiments/trainingExperiment';
import { PRIVATISED_CONDITIONS } from '../experiments/trainingSchema';
import { isCompareRun, isPrivatizeRun, isTrainRun, type RunRecord, type RunStatus } from '../storage/runRecord';
import { compareRows } from '../storage/trainingResults';
import { CONDITION_SHORT } from './trainingData';

export const STATUS_LABEL: Record<RunStatus, string> = {
  queued: 'queued',
  running: 'running',
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
};

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m} min ${s.toString().padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${(m % 60).toString().padStart(2, '0')} min`;
}

export function formatTime(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'short' });
}

/** "2 of 3 η" (privatize runs; the others say how far they are in their own terms). */
export const etaProgress = (run: RunRecord): string => (isPrivatizeRun(run) ? `${run.results.statistics.length} of ${run.spec.etas.length} η` : progressText(run));

/** How far a run is: "2 of 3 η", "step 12 of 60", "3 of 8 cells". */
export function progressText(run: RunRecord): string {
  if (isPrivatizeRun(run)) return `${run.results.statistics.length} of ${run.spec.etas.length} η`;
  if (isTrainRun(run)) {
    if (run.results.outcome) return `${run.results.outcome.steps} steps`;
    const live = run.results.live;
    if (live && live.totalSteps > 0) return `step ${live.step} of ${live.totalSteps}`;
    return run.checkpoint ? `checkpoint at step ${run.checkpoint.step}` : 'step 0';
  }
  if (isCompareRun(run)) return `${run.results.cells.length} of ${compareCells(run.spec).length} cells`;
  return '—';
}

/** 0..1, for sorting by progress. */
export function runFraction(run: RunRecord): number {
  if (isPrivatizeRun(run)) return run.results.statistics.length / run.spec.etas.length;
  if (isCompareRun(run)) return run.results.cells.length / Math.max(1, compareCells(run.spec).length);
  if (run.status === 'done') return 1;
  return run.progress.fraction;
}

/** The runs table's condition column: the trained condition, the compared ones, or a sweep's varied value. */
export function conditionText(run: RunRecord): string {
  if (run.spec.kind === 'train') return CONDITION_SHORT[run.spec.condition];
  if (run.spec.kind === 'compare') return run.spec.conditions.map((c) => CONDITION_SHORT[c]).join(', ');
  return run.sweep?.condition ? `${run.sweep.condition.field} = ${String(run.sweep.condition.value)}` : '—';
}

/** The η (or η values) of a run; clean trainings have none. */
export function etaText(run: RunRecord): string {
  if (run.spec.kind === 'train') return PRIVATISED_CONDITIONS.includes(run.spec.condition) ? String(run.spec.eta) : 'clean';
  return run.spec.etas.join(', ');
}

export const formatPercent = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(digits)}%`);

/** A run's accuracy for sorting: a train run's final (or latest) dev accuracy, a compare run's best mean. */
export function accuracyValue(run: RunRecord): number | null {
  if (isTrainRun(run)) return run.results.outcome?.accuracy ?? run.results.evals.at(-1)?.accuracy ?? null;
  if (isCompareRun(run)) {
    const means = compareRows(run.results.cells).map((r) => r.mean);
    return means.length ? Math.max(...means) : null;
  }
  return null;
}

/** "81.5%", "latest 64.0%" while training, "52.0–81.5%" over a compare run's rows. */
export function accuracyText(run: RunRecord): string {
  if (isTrainRun(run)) {
    if (run.results.outcome) return formatPercent(run.results.outcome.accuracy);
    const last = run.results.evals.at(-1);
    return last ? `latest ${formatPercent(last.accuracy)}` : '—';
  }
  if (isCompareRun(run)) {
    const means = compareRows(run.results.cells).map((r) => r.mean);
    if (means.length === 0) return '—';
    const lo = Math.min(...means);
    const hi = Math.max(...means);
    return lo === hi ? formatPercent(hi) : `${formatPercent(lo).replace('%', '')}–${formatPercent(hi)}`;
  }
  return '—';
}

export function formatMetric(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  const a = Math.abs(value);
  return a >= 1000 || a < 0.001 ? value.toExponential(2) : value.toPrecision(3);
}
