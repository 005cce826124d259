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

/** The benchmark's parts; `--only` runs one of them. */
export const BENCH_SECTIONS = ['privatize', 'matmul', 'forward', 'train'] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];

export interface MatmulShape {
  m: number;
  n: number;
  k: number;
  /** Why this shape, e.g. "BERT-base FFN at batch·seq 4096". */
  why: string;
}

export interface MatmulPlan {
  shapes: MatmulShape[];
  /** Untimed rounds, then timed rounds; in each round every implementation runs once. */
  warmup: number;
  reps: number;
}

/** One encoder forward shape: `batch` sentences of exactly `length` tokens. */
export interface ForwardShape {
  batch: number;
  length: number;
}

/** Timed calls per implementation and shape (after one untimed first call, see forwardCases.ts). */
export interface ForwardReps {
  ours: number;
  jax: number;
}

export interface ForwardPlan {
  shapes: ForwardShape[];
  useLite: ForwardReps & { tf: number; referenceSentences: number };
  bert: ForwardReps & {
    /** Encoder layers of the BERT-base-shaped model (12 = BERT-base; fewer in --quick). */
    layers: number;
  };
}

/**
 * Training steps (src/bench/trainSection.ts). Every implementation first takes one untimed step on the case's
 * first batch (compilation, allocation; its losses are the ones compared), then its timed steps.
 */
export interface TrainPlan {
  /** Names of TRAIN_STEP_CASES (src/bench/training/trainCases.ts), in run order. */
  cases: string[];
  ours: {
    /** Timed steps, each awaited to its end: step() then readMetrics() (which waits for the GPU). */
    reps: number;
    /** Then this many steps queued back to back and one readMetrics() at the end, as the training loop runs (0: skip). */
    queued: number;
    /** Timed forward-only calls (trainer.predict) on the first batch (0: skip). */
    forward: number;
  };
  /** Timed steps of jax-js and of TF.js. */
  jax: number;
  tf: number;
}

export interface BenchPlan {
  quick: boolean;
  seed: number;
  sections: BenchSection[];
  tables: { 'use-lite': TablePlan; 'bert-size': TablePlan };
  matmul: MatmulPlan;
  forward: ForwardPlan;
  train: TrainPlan;
}

export interface BenchOptions {
  quick?: boolean;
  /** Run only this section (default: all). */
  only?: BenchSection;
}

export interface BenchRow {
  /** Which part of the benchmark (absent in results written before sections existed: privatize). */
  section?: BenchSection;
  implementation: string;
  /** e.g. "use-lite 8002×256". */
  table: string;
  /** Tokens (query rows) per measured call; sentences per call in the forward section; m for matmul. */
  batch: number;
  /** matmul "m×k·k×n", forward "batch×length". */
  shape?: string;
  tokensPerSecond: number | null;
  gflops: number | null;
  notes: string;
  /** Wall (or GPU, where `detail.timing` says so) milliseconds per measured call. */
  timing: Stats | null;
  detail: Record<string, unknown>;
  /** When the case finished (ISO time), to line it up with host.loadSamples. */
  finishedAt?: string;
  /** Set when the case could not run or failed; the row then reports the error instead of numbers. */
  error?: string;
  /** When each timed sample began (ISO time), so the report can give the machine load during the samples. */
  sampleStartedAt?: string[];
  /**
   * Train section: the losses of the implementation's first step, taken from the same initial parameters on
   * the same batch as every other implementation, and max |Δ|/|ours| over (task, rec) against ours.
   */
  firstStep?: { lossTask: number; lossRec: number | null; maxRelDiffVsOurs: number | null };
}

/** What the train section ran (results.train). */
export interface BenchTrainInfo {
  model: string;
  cases: {
    name: string;
    batch: number;
    /** Padded rows per example S (prompt and plain rows included). */
    length: number;
    promptTokens: number;
    plainTokens: number;
    classes: number;
    reconVocab: number;
    reconRank: number;
    lambda: number;
    why: string;
  }[];
  /** AdamW settings every implementation used. */
  optimizer: Record<string, number>;
  /** How the initial trainables were made (identical for all implementations). */
  init: string;
  /** How each implementation's step was timed. */
  timing: string;
  /** How FLOPs per step are counted (training/trainFlops.ts). */
  flops: string;
  /** What a peer's training step does differently from the plain library call ("<peer>: <what, why>"). */
  adjustments: string[];
}

/** The libraries compared with our kernels, as loaded in the page (versions from their package.json too). */
export interface PeerInfo {
  /** As the page saw them, e.g. "@tensorflow/tfjs 4.22.0 (tfjs-core 4.22.0), backend webgpu". */
  loaded: Record<string, string>;
  /** Filled in by scripts/bench.ts from node_modules/<name>/package.json. */
  versions?: Record<string, string>;
  /** Changes made to a peer so it runs here, with the reason (peers.ts). */
  adjustments: string[];
  /** A peer that could not be opened, with the error. */
  failures: Record<string, string>;
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
  /** 2: sections, matmul and forward rows, peers, models (train rows, `train` and `firstStep` were added to 2 later). */
  schemaVersion: 2;
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
  /** Sections that ran. */
  sections: BenchSection[];
  peers: PeerInfo;
  /** Where the TypeScript reference ran. */
  referenceThread: string;
  plan: BenchPlan;
  tables: BenchTableInfo[];
  /** The encoders of the forward section. */
  models: BenchModelInfo[];
  /** The train section's cases and conventions (absent when it did not run). */
  train?: BenchTrainInfo;
  rows: BenchRow[];
}

export interface BenchModelInfo {
  name: string;
  source: string;
  parameters: number;
  /** How FLOPs per forward are counted (flops.ts). */
  flops: string;
}

export type BenchOutcome = { ok: true; result: BenchResults } | { ok: false; error: { name: string; message: string; stack?: string } };
