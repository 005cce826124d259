// Timing and summary statistics for the benchmark (npm run bench). Wall times come from performance.now()
// around an awaited call, so they include everything the caller waits for (GPU work, readback, JS). No
// thresholds here or anywhere in the benchmark: it measures and reports, it never passes or fails.

export interface Stats {
  /** Timed repetitions (warm-up runs excluded). */
  reps: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  meanMs: number;
  /** Every timed sample, in run order. */
  samplesMs: number[];
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function summarize(samplesMs: readonly number[]): Stats {
  const reps = samplesMs.length;
  return {
    reps,
    medianMs: median(samplesMs),
    minMs: reps ? Math.min(...samplesMs) : Number.NaN,
    maxMs: reps ? Math.max(...samplesMs) : Number.NaN,
    meanMs: reps ? samplesMs.reduce((a, b) => a + b, 0) / reps : Number.NaN,
    samplesMs: [...samplesMs],
  };
}

/** Wall milliseconds of one awaited call, and its value. */
export async function timeAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** Wall milliseconds of one synchronous call, and its value. */
export function timeSync<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

export interface RepeatOptions {
  /** Untimed runs first (pipeline compilation, buffer growth, JIT). */
  warmup: number;
  reps: number;
}

/** Runs `fn(i)` warmup + reps times and summarises the timed ones. `i` counts from 0 over all runs. */
export async function repeatAsync(fn: (i: number) => Promise<unknown>, { warmup, reps }: RepeatOptions): Promise<Stats> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + reps; i++) {
    const { ms } = await timeAsync(() => fn(i));
    if (i >= warmup) samples.push(ms);
  }
  return summarize(samples);
}

/** Items per second for `count` items in `ms` milliseconds. */
export const perSecond = (count: number, ms: number): number => (count * 1000) / ms;

/** GFLOP/s for `flops` floating-point operations in `ms` milliseconds. */
export const gflopsPerSecond = (flops: number, ms: number): number => flops / (ms * 1e6);

/**
 * FLOPs of the squared-distance matrix between `queries` vectors and `rows` table rows of width `dim`:
 * 3 per element per (query, row) pair — one subtraction, one multiplication, one addition into the
 * accumulator. Padding lanes (dim rounded up to 4) are not counted; both benchmark tables have dim % 4 = 0.
 */
export const distanceFlops = (queries: number, rows: number, dim: number): number => 3 * queries * rows * dim;

/** Lets the page's event loop run (console messages flush) between long synchronous stretches. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
