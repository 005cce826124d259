// The runs table's filter, sort and tag editing, as plain functions (the table component renders them).

import type { RunRecord, RunStatus } from '../storage/runRecord';
import { RunStore } from '../storage/runStore';
import { accuracyValue, conditionText, runFraction } from './runFormat';

export type SortKey = 'name' | 'kind' | 'status' | 'createdAt' | 'seed' | 'progress' | 'accuracy' | 'seconds' | 'size';

export interface RunsQuery {
  /** Matched (case-insensitively) against name, tags, status, kind, condition, sweep, spec hash and id. */
  text: string;
  status: RunStatus | 'all';
  sort: SortKey;
  descending: boolean;
}

export const DEFAULT_QUERY: RunsQuery = { text: '', status: 'all', sort: 'createdAt', descending: true };

function haystack(run: RunRecord): string {
  const condition = run.spec.kind === 'train' ? run.spec.condition : run.spec.kind === 'compare' ? run.spec.conditions.join(' ') : '';
  return [run.name, ...run.tags.map((t) => `#${t}`), run.status, run.spec.kind, condition, conditionText(run), run.sweep?.label ?? '', run.specHash.slice(0, 12), run.id, run.spec.name ?? ''].join(' ').toLowerCase();
}

export function filterRuns(runs: readonly RunRecord[], query: Pick<RunsQuery, 'text' | 'status'>): RunRecord[] {
  const words = query.text.toLowerCase().split(/\s+/).filter(Boolean);
  return runs.filter((r) => (query.status === 'all' || r.status === query.status) && words.every((w) => haystack(r).includes(w)));
}

const sortValue: Record<SortKey, (r: RunRecord) => string | number> = {
  name: (r) => r.name.toLowerCase(),
  kind: (r) => r.spec.kind,
  status: (r) => r.status,
  createdAt: (r) => r.createdAt,
  seed: (r) => r.seed,
  progress: runFraction,
  // Runs without an accuracy (privatize runs) sort below every accuracy.
  accuracy: (r) => accuracyValue(r) ?? -1,
  seconds: (r) => r.seconds,
  size: (r) => RunStore.sizeOf(r),
};

export function sortRuns(runs: readonly RunRecord[], key: SortKey, descending: boolean): RunRecord[] {
  const value = sortValue[key];
  const keyed = runs.map((r) => ({ r, v: value(r) }));
  keyed.sort((a, b) => (a.v < b.v ? -1 : a.v > b.v ? 1 : a.r.id.localeCompare(b.r.id)) * (descending ? -1 : 1));
  return keyed.map((k) => k.r);
}

export function queryRuns(runs: readonly RunRecord[], query: RunsQuery): RunRecord[] {
  return sortRuns(filterRuns(runs, query), query.sort, query.descending);
}

/** Tags typed as "paper, fig-2 draft": trimmed, without '#', unique, 1–40 characters, at most 20. */
export function parseTags(text: string): string[] {
  const tags = text
    .split(/[\s,]+/)
    .map((t) => t.replace(/^#+/, '').slice(0, 40))
    .filter(Boolean);
  return [...new Set(tags)].slice(0, 20);
}

/** Clicking a header: the same column flips the order, another sorts by it (newest/largest/best first for time, size and accuracy). */
export function nextSort(query: RunsQuery, key: SortKey): RunsQuery {
  if (query.sort === key) return { ...query, descending: !query.descending };
  return { ...query, sort: key, descending: key === 'createdAt' || key === 'size' || key === 'seconds' || key === 'accuracy' };
}
