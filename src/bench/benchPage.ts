// The page behind `npm run bench`: scripts/bench.ts opens bench.html in headless Chromium and calls
// window.raptBench.run. Four sections, each optional (`--only`):
//   privatize  GPU privatisation through the engine's own GpuRuntime/Privatizer code (wrapped by
//              TimedRuntime for pass timestamps) next to the TypeScript reference (cases.ts)
//   matmul     our matmul kernel, jax-js and TF.js's webgpu backend on the same inputs (matmulCases.ts)
//   forward    encoder forward throughput, ours against the peers (forwardCases.ts)
//   train      one prompt-tuning / RAPT training step, ours against the same step in jax-js and TF.js
//              (trainSection.ts)
// Everything runs on this page's main thread, one case at a time; the peers (peers.ts) open their own
// devices on the same adapter. Progress goes to the console, which the CLI forwards to stderr.

import { appVersion } from '../appVersion';
import { openDevice } from '../gpu/device';
import { DeviceEmbeddingTable } from '../privacy/deviceTable';
import { Privatizer } from '../privacy/privatize';
import {
  destroyKernelBuffers,
  measureDistanceKernel,
  measureGpuPrivatize,
  measureNoiseKernel,
  measurePrivatizeBreakdown,
  measureReadback,
  measureReference,
  measureScan,
  measureSelectKernel,
  setupKernelBuffers,
  warmUpPrivatize,
  type GpuTableSession,
} from './cases';
import { TimedRuntime } from './gpuTimer';
import { benchBertForward, benchUseLiteForward } from './forwardCases';
import { benchMatmulShape } from './matmulCases';
import { benchTrain } from './trainSection';
import { peerSummary } from './peers';
import { benchPlan, tokensNeeded } from './plan';
import { candidateCount, loadBundledTable, makeBertSizedTable, tableLabel, type BenchTable } from './tables';
import { yieldToEventLoop } from './timing';
import type { BenchModelInfo, BenchOptions, BenchOutcome, BenchResults, BenchRow, BenchTrainInfo, TablePlan } from './types';

declare global {
  interface Window {
    raptBench: { run(options?: BenchOptions): Promise<BenchOutcome> };
  }
}

const log = (message: string) => console.log(`[bench] ${message}`);

function logRow(r: BenchRow | null): BenchRow | null {
  if (r) r.finishedAt = new Date().toISOString();
  if (r) log(`  ${r.implementation} | ${r.shape ?? `batch ${r.batch}`} | ${r.tokensPerSecond?.toFixed(1) ?? '—'} tok/s | ${r.gflops?.toFixed(2) ?? '—'} GFLOP/s | ${r.notes}`);
  return r;
}

/** All cases of one table: GPU end to end per batch, its per-kernel split, kernels alone, CPU references. */
async function benchTable(runtime: TimedRuntime, bench: BenchTable, plan: TablePlan, seed: number): Promise<BenchRow[]> {
  const device = new DeviceEmbeddingTable(runtime, bench.host);
  const privatizer = await Privatizer.create(runtime, device);
  const s: GpuTableSession = { runtime, bench, device, privatizer, seed, log };
  const rows: (BenchRow | null)[] = [];
  try {
    for (const { batch, warmup, reps } of plan.batches) {
      log(`${tableLabel(bench)}: GPU privatize, batch ${batch}`);
      await warmUpPrivatize(s, batch, warmup);
      const breakdown = await measurePrivatizeBreakdown(s, batch);
      rows.push(logRow(await measureGpuPrivatize(s, batch, reps)));
      rows.push(logRow(breakdown));
    }
    const nq = Math.min(plan.kernelRows, privatizer.chunkRows);
    log(`${tableLabel(bench)}: kernels alone, ${nq} rows`);
    const buffers = await setupKernelBuffers(s, nq);
    try {
      rows.push(logRow(await measureNoiseKernel(s, buffers, plan.kernelReps)));
      rows.push(logRow(await measureDistanceKernel(s, buffers, plan.kernelReps)));
      rows.push(logRow(await measureSelectKernel(s, buffers, plan.kernelReps)));
      rows.push(logRow(await measureReadback(s, buffers, plan.kernelReps)));
    } finally {
      destroyKernelBuffers(buffers);
    }
    log(`${tableLabel(bench)}: TypeScript reference, ${plan.referenceTokens} tokens`);
    await yieldToEventLoop();
    rows.push(logRow(await measureReference(s, plan.referenceTokens)));
    await yieldToEventLoop();
    rows.push(logRow(await measureScan(s, plan.referenceTokens)));
  } finally {
    privatizer.destroy();
    device.destroy();
  }
  return rows.filter((r): r is BenchRow => r !== null);
}

async function run(options: BenchOptions = {}): Promise<BenchResults> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const plan = benchPlan(Boolean(options.quick), options.only);
  const opened = await openDevice();
  const runtime = new TimedRuntime(opened);
  const r = runtime.report;
  log(`adapter: ${r.vendor} / ${r.architecture} / ${r.description || r.device} (fallback ${r.isFallbackAdapter}), timestamp-query ${runtime.hasTimestamps}`);

  const loaders: [keyof typeof plan.tables, (n: number) => Promise<BenchTable> | BenchTable][] = [
    ['use-lite', loadBundledTable],
    ['bert-size', (n) => makeBertSizedTable(n)],
  ];
  const tables: BenchResults['tables'] = [];
  const models: BenchModelInfo[] = [];
  const rows: BenchRow[] = [];
  let train: BenchTrainInfo | undefined;
  log(`sections: ${plan.sections.join(', ')}${plan.quick ? ' (quick)' : ''}`);
  try {
    if (plan.sections.includes('privatize')) {
      for (const [name, load] of loaders) {
        const tablePlan = plan.tables[name];
        log(`loading table ${name}`);
        const bench = await load(tokensNeeded(tablePlan));
        tables.push({ name: bench.name, vocabSize: bench.host.vocabSize, dim: bench.host.dim, candidates: candidateCount(bench.host), eta: bench.eta, source: bench.source });
        rows.push(...(await benchTable(runtime, bench, tablePlan, plan.seed)).map((row): BenchRow => ({ section: 'privatize', ...row })));
      }
    }
    if (plan.sections.includes('matmul')) {
      for (const shape of plan.matmul.shapes) {
        log(`matmul ${shape.m}×${shape.k}·${shape.k}×${shape.n} (${shape.why})`);
        for (const row of await benchMatmulShape(runtime, shape, plan.matmul, plan.seed, log)) rows.push(logRow(row)!);
      }
    }
    if (plan.sections.includes('forward')) {
      const session = { runtime, plan: plan.forward, seed: plan.seed, log, onRow: (row: BenchRow) => void logRow(row) };
      for (const bench of [benchUseLiteForward, benchBertForward]) {
        const result = await bench(session);
        rows.push(...result.rows);
        models.push(result.model);
      }
    }
    if (plan.sections.includes('train')) {
      const result = await benchTrain({ runtime, plan: plan.train, log, onRow: (row) => void logRow(row) });
      rows.push(...result.rows);
      train = result.info;
    }
  } finally {
    runtime.destroyTimers();
    opened.device.destroy();
  }
  return {
    kind: 'rapt-lab-bench',
    schemaVersion: 2,
    startedAt,
    finishedAt: new Date().toISOString(),
    seconds: (performance.now() - started) / 1000,
    appVersion,
    userAgent: navigator.userAgent,
    adapter: r,
    timestampQuery: runtime.hasTimestamps,
    sections: plan.sections,
    peers: await peerSummary(),
    referenceThread: 'page main thread, one token at a time, between GPU cases',
    plan,
    tables,
    models,
    ...(train ? { train } : {}),
    rows,
  };
}

window.raptBench = {
  async run(options) {
    try {
      return { ok: true, result: await run(options) };
    } catch (e) {
      const err = e as Error;
      return { ok: false, error: { name: err.name ?? 'Error', message: err.message ?? String(e), stack: err.stack } };
    }
  },
};
