// Shapes shared by the benchmark page (src/bench/benchPage.ts) and the CLI (scripts/bench.ts).

import type { AdapterReport } from '../gpu/device';
import type { Stats } from './timing';

export interface TablePlan {
  /**
   * GPU privatisation batch sizes (tokens per privatize call): untimed warm-up calls (pipeline compilation,
   * scratch-buffer growth; 0 where an earlier batch already warmed everything but buffer sizes), then one
   * call with pass timestamps for the per-kernel split, then `reps` timed calls.
   */
  batches: { batch: number; warmup: number; reps: number }[];
  /** Query rows for the kernels measured alone (capped at the privatizer's chunk size). */
  kernelRows: number;
  kernelReps: number;
  /** Tokens for the plain TypeScript reference (slow, so far fewer than the GPU batches). */
  referenceTokens: number;
}

export interface BenchPlan {
  quick: boolean;
  seed: number;
  tables: { 'use-lite': TablePlan; 'bert-size': TablePlan };
}

export interface BenchOptions {
  quick?: boolean;
}

export interface BenchRow {
  implementation: string;
  /** e.g. "use-lite 8002×256". */
  table: string;
  /** Tokens (query rows) per measured call. */
  batch: number;
  tokensPerSecond: number | null;
  gflops: number | null;
  notes: string;
  /** Wall (or GPU, where `detail.timing` says so) milliseconds per measured call. */
  timing: Stats | null;
  detail: Record<string, unknown>;
  /** When the case finished (ISO time), to line it up with host.loadSamples. */
  finishedAt?: string;
}

export interface BenchTableInfo {
  name: string;
  vocabSize: number;
  dim: number;
  candidates: number;
  eta: number;
  source: string;
}

export interface BenchResults {
  kind: 'rapt-lab-bench';
  schemaVersion: 1;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  appVersion: string;
  userAgent: string;
  /** Filled in by scripts/bench.ts from Playwright (the page cannot see the exact browser build). */
  browserVersion?: string;
  /** Filled in by scripts/bench.ts: the machine, and its load (other processes compete for the CPU). */
  host?: {
    platform: string;
    cpus: number;
    cpuModel: string;
    loadAverageStart: number[];
    loadAverageEnd: number[];
    /** [ISO time, 1-minute load average] every few seconds during the run. */
    loadSamples: [string, number][];
  };
  adapter: AdapterReport;
  timestampQuery: boolean;
  /** Where the TypeScript reference ran. */
  referenceThread: string;
  plan: BenchPlan;
  tables: BenchTableInfo[];
  rows: BenchRow[];
}

export type BenchOutcome = { ok: true; result: BenchResults } | { ok: false; error: { name: string; message: string; stack?: string } };
