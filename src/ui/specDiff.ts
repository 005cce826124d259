// The compare view's spec table: every flattened spec field (plus the seed) with each run's value, and
// whether the runs differ on it — the rows a reader should look at first.

import { flatten, type FlatValue } from '../experiments/specFields';
import type { RunRecord } from '../storage/runRecord';

export interface SpecDiffRow {
  field: string;
  values: (FlatValue | undefined)[];
  differs: boolean;
}

export function specDiff(runs: readonly RunRecord[]): SpecDiffRow[] {
  const flat = runs.map((r) => ({ ...flatten(r.spec), seed: r.seed }) as Record<string, FlatValue>);
  const fields: string[] = [];
  for (const f of flat) for (const k of Object.keys(f)) if (!fields.includes(k)) fields.push(k);
  return fields
    .filter((f) => f !== 'seeds')
    .map((field) => {
      const values = flat.map((x) => x[field]);
      return { field, values, differs: values.some((v) => v !== values[0]) };
    });
}

/** Summary metric rows for the compare view: union of the runs' summary keys, in a readable order. */
export function summaryRows(runs: readonly RunRecord[]): { metric: string; values: (number | null | undefined)[] }[] {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.summary)))];
  keys.sort((a, b) => {
    const [ma, ea] = a.split('@η=');
    const [mb, eb] = b.split('@η=');
    return ma === mb ? Number(ea ?? 0) - Number(eb ?? 0) : ma < mb ? -1 : 1;
  });
  return keys.map((metric) => ({ metric, values: runs.map((r) => r.summary[metric]) }));
}
