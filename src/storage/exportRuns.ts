// Runs to files and back.
//   JSON: complete and re-importable — every run record as stored, in an envelope that says what it is.
//   CSV:  one row per run — its identity, kind and status, the flattened spec (spec.etas, spec.condition,
//         spec.training.epochs, … named as in spec files) and the summary metrics (pUnchanged@η=50, accuracy,
//         accuracy[rapt]@η=20, …) — for spreadsheets and papers. Runs of different kinds share one header:
//         a column a run's kind does not have is empty in its row.
//         Training checkpoints (weights) are never exported: they only serve to resume in this browser.
// Importing validates the whole file (envelope and every run, runRecord.ts) and refuses it with a message
// naming the problem if anything is wrong: a file is untrusted input, and a half-imported file would be
// worse than none.

import { flatten, type FlatValue } from '../experiments/specFields';
import { parseRunRecord, RunRecordError, type RunRecord } from './runRecord';

export const EXPORT_FORMAT = 'rapt-lab-runs';
export const EXPORT_VERSION = 1;
/** Larger files are refused before parsing (a run is a few KB to a few MB). */
export const MAX_IMPORT_BYTES = 256 * 1024 * 1024;

export interface RunsExport {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exportedAt: string;
  appVersion: string;
  runs: RunRecord[];
}

export function runsToJson(runs: readonly RunRecord[], appVersion: string, now = new Date()): string {
  const file: RunsExport = { format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt: now.toISOString(), appVersion, runs: [...runs] };
  return `${JSON.stringify(file, null, 2)}\n`;
}

export class ImportError extends Error {
  override name = 'ImportError';
}

/** The runs in an exported JSON file, every one validated; throws ImportError otherwise. */
export function parseRunsJson(text: string, fileName = 'The file'): RunRecord[] {
  if (text.length > MAX_IMPORT_BYTES) throw new ImportError(`${fileName} is too large to import (${(text.length / 2 ** 20).toFixed(0)} MB).`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ImportError(`${fileName} is not JSON. Import a file made with “Export JSON”.`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data) || (data as { format?: unknown }).format !== EXPORT_FORMAT) {
    throw new ImportError(`${fileName} is JSON but not a RAPT Lab runs export (it has no "format": "${EXPORT_FORMAT}"). Import a file made with “Export JSON”.`);
  }
  const envelope = data as { version?: unknown; runs?: unknown };
  if (envelope.version !== EXPORT_VERSION) {
    throw new ImportError(
      typeof envelope.version === 'number' && envelope.version > EXPORT_VERSION
        ? `${fileName} was exported by a newer RAPT Lab (export version ${envelope.version}; this one reads ${EXPORT_VERSION}).`
        : `${fileName} has an unknown export version.`,
    );
  }
  if (!Array.isArray(envelope.runs)) throw new ImportError(`${fileName} has no list of runs.`);
  const runs: RunRecord[] = [];
  const ids = new Set<string>();
  for (const [i, raw] of envelope.runs.entries()) {
    try {
      const run = parseRunRecord(raw, `Run ${i + 1} of ${envelope.runs.length}`);
      if (ids.has(run.id)) throw new ImportError(`Run ${i + 1} repeats the id ${run.id}.`);
      ids.add(run.id);
      runs.push(run);
    } catch (e) {
      if (e instanceof RunRecordError || e instanceof ImportError) throw new ImportError(`${fileName} was not imported. ${e.message}`);
      throw e;
    }
  }
  return runs;
}

/**
 * How imported runs enter this browser: a run that was running or queued where it was exported is not
 * running here, so it arrives interrupted (resumable, not started by itself).
 */
export function asImported(run: RunRecord): RunRecord {
  if (run.status !== 'running' && run.status !== 'queued') return run;
  return { ...run, status: 'interrupted', queuePosition: null, progress: { ...run.progress, stage: 'imported while unfinished' } };
}

// ── CSV ──────────────────────────────────────────────────────────────────────────────────────────────────

const FIXED_COLUMNS = ['id', 'name', 'tags', 'status', 'seed', 'kind', 'createdAt', 'finishedAt', 'seconds', 'specHash', 'sweep', 'condition', 'failure'] as const;

function fixedCells(run: RunRecord): Record<(typeof FIXED_COLUMNS)[number], FlatValue> {
  return {
    id: run.id,
    name: run.name,
    tags: run.tags.join(' '),
    status: run.status,
    seed: run.seed,
    kind: run.spec.kind,
    createdAt: run.createdAt,
    finishedAt: run.finishedAt,
    seconds: run.seconds,
    specHash: run.specHash,
    sweep: run.sweep?.label ?? null,
    condition: run.sweep?.condition ? `${run.sweep.condition.field}=${String(run.sweep.condition.value)}` : null,
    failure: run.failure ? `${run.failure.name}: ${run.failure.message}` : null,
  };
}

/** A spreadsheet must never run a cell as a formula: text starting with = + - @ (or a tab/CR) is quoted with '. */
export function csvCell(value: FlatValue | undefined): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** "pUnchanged@η=5" before "pUnchanged@η=50": metric name, then η as a number. */
function compareMetricKeys(a: string, b: string): number {
  const [ma, ea] = a.split('@η=');
  const [mb, eb] = b.split('@η=');
  if (ma !== mb) return ma < mb ? -1 : 1;
  return (Number(ea ?? 0) || 0) - (Number(eb ?? 0) || 0);
}

export function runsToCsv(runs: readonly RunRecord[]): string {
  const specs = runs.map((r) => flatten(r.spec, 'spec'));
  const specColumns: string[] = [];
  for (const s of specs) for (const k of Object.keys(s)) if (!specColumns.includes(k)) specColumns.push(k);
  const metricColumns = [...new Set(runs.flatMap((r) => Object.keys(r.summary)))].sort(compareMetricKeys);
  const header = [...FIXED_COLUMNS, ...specColumns, ...metricColumns];
  const rows = runs.map((run, i) => {
    const fixed = fixedCells(run);
    return [...FIXED_COLUMNS.map((c) => fixed[c]), ...specColumns.map((c) => specs[i][c]), ...metricColumns.map((c) => run.summary[c])];
  });
  return `${[header.map((h) => csvCell(h)), ...rows.map((r) => r.map((c) => csvCell(c)))].map((r) => r.join(',')).join('\r\n')}\r\n`;
}
