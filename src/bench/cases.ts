// One function per measured case. Every case returns a BenchRow; none of them judges the numbers.
//
// FLOP counting (timing.ts distanceFlops): only the pairwise-distance work is counted, 3 FLOPs per
// element per (query, table row) pair — subtract, multiply, accumulate — i.e. 3·n·V·d for n tokens over a
// V × d table. Noise and selection are not counted (they are O(n·d) and O(n·V) and not floating-point
// arithmetic in the main). For end-to-end rows the GFLOP/s figure is therefore "effective": distance FLOPs
// divided by the whole call's time.

import { Scratch } from '../gpu/scratch';
import { DchiNoiseKernel } from '../privacy/dchiNoise';
import type { DeviceEmbeddingTable } from '../privacy/deviceTable';
import { NearestNeighbourKernels } from '../privacy/nearestNeighbours';
import type { Privatizer } from '../privacy/privatize';
import { packTokenRows, type TokenRow } from '../privacy/tokenRows';
import { timeGpuWork, type KernelTime, type TimedRuntime } from './gpuTimer';
import { referencePrivatize, scanPrivatize, totalMs, type PhaseTimes } from './reference';
import { fmtMs, pct, timingNote } from './rows';
import { tableLabel, type BenchTable } from './tables';
import { distanceFlops, gflopsPerSecond, perSecond, repeatAsync, summarize, timeAsync } from './timing';
import type { BenchRow } from './types';

export interface GpuTableSession {
  runtime: TimedRuntime;
  bench: BenchTable;
  device: DeviceEmbeddingTable;
  privatizer: Privatizer;
  seed: number;
  log(message: string): void;
}


function tokenBatch(bench: BenchTable, batch: number): TokenRow[] {
  if (batch > bench.tokens.length) throw new RangeError(`${bench.name} has ${bench.tokens.length} benchmark tokens, batch ${batch} wants more`);
  return bench.tokens.slice(0, batch);
}

/** Untimed privatize calls at this batch size: pipeline compilation, scratch-buffer growth, JIT. */
export async function warmUpPrivatize(s: GpuTableSession, batch: number, calls: number): Promise<void> {
  const rows = tokenBatch(s.bench, batch);
  for (let i = 0; i < calls; i++) await s.privatizer.privatize(rows, { invEta: 1 / s.bench.eta, seed: s.seed + 1000 + i });
}

/**
 * End to end: wall time of `await privatizer.privatize(rows)` — upload of the rows, d_χ noise, distances,
 * top-1 selection and readback of ids, squared distances and radii — for `batch` tokens, `reps` times
 * (warm up first with warmUpPrivatize). Each call uses a different seed so no two calls repeat the noise.
 */
export async function measureGpuPrivatize(s: GpuTableSession, batch: number, reps: number): Promise<BenchRow> {
  const { bench, privatizer } = s;
  const rows = tokenBatch(bench, batch);
  const invEta = 1 / bench.eta;
  let changed = 0;
  const timing = await repeatAsync(async (i) => {
    const out = await privatizer.privatize(rows, { invEta, seed: s.seed + i });
    changed = rows.reduce((c, r, j) => c + (out.ids[j] !== r.id ? 1 : 0), 0);
  }, { warmup: 0, reps });
  const chunks = Math.ceil(batch / privatizer.chunkRows);
  const flops = distanceFlops(batch, bench.host.vocabSize, bench.host.dim);
  return {
    implementation: 'gpu privatize (end to end)',
    table: tableLabel(bench),
    batch,
    tokensPerSecond: perSecond(batch, timing.medianMs),
    gflops: gflopsPerSecond(flops, timing.medianMs),
    notes: `${timingNote(timing)}; ${chunks} chunk${chunks === 1 ? '' : 's'} of ≤${privatizer.chunkRows} rows; ${pct(changed, batch)} of tokens changed at η=${bench.eta}`,
    timing,
    detail: { what: 'wall ms per privatize call incl. readback', chunkRows: privatizer.chunkRows, chunks, changedTokens: changed, eta: bench.eta, distanceFlops: flops },
  };
}

/**
 * Where one privatize call's time goes: the same call with timestamp writes on every pass, so each kernel's
 * GPU time is known; the rest of the wall time (uploads, submits, error scopes, readback and its waits, JS
 * packing) is reported as "outside kernels". Null without timestamp-query.
 */
export async function measurePrivatizeBreakdown(s: GpuTableSession, batch: number): Promise<BenchRow | null> {
  const { runtime, bench, privatizer } = s;
  if (!runtime.hasTimestamps) return null;
  const rows = tokenBatch(bench, batch);
  let wallMs = 0;
  const { kernels, untimedPasses } = await runtime.collect(async () => {
    wallMs = (await timeAsync(() => privatizer.privatize(rows, { invEta: 1 / bench.eta, seed: s.seed }))).ms;
  });
  const gpuMs = kernels.reduce((a, k) => a + k.gpuMs, 0);
  const outside = Math.max(0, wallMs - gpuMs);
  const parts = kernels.map((k) => `${k.kernel} ${fmtMs(k.gpuMs)} ms (${pct(k.gpuMs, wallMs)})`);
  return {
    implementation: 'gpu privatize, per kernel',
    table: tableLabel(bench),
    batch,
    tokensPerSecond: perSecond(batch, wallMs),
    gflops: null,
    notes: `1 call, ${fmtMs(wallMs)} ms wall: ${parts.join(', ')}, outside kernels ${fmtMs(outside)} ms (${pct(outside, wallMs)})`,
    timing: summarize([wallMs]),
    detail: { what: 'GPU ms per kernel from pass timestamps within one privatize call', wallMs, kernels, outsideKernelsMs: outside, untimedPasses },
  };
}

/** Buffers for running the privatisation kernels one at a time on `nq` real token rows. */
export interface KernelBuffers {
  nq: number;
  scratch: Scratch;
  noise: DchiNoiseKernel;
  nearest: NearestNeighbourKernels;
  rows: GPUBuffer;
  invEta: GPUBuffer;
  noisy: GPUBuffer;
  radius: GPUBuffer;
  dist: GPUBuffer;
  outIds: GPUBuffer;
  outDist: GPUBuffer;
}

/** Uploads `nq` token rows and fills noisy/dist once, so selection sees a real distance matrix. */
export async function setupKernelBuffers(s: GpuTableSession, nq: number): Promise<KernelBuffers> {
  const { runtime, bench } = s;
  const t = bench.host;
  const scratch = new Scratch(runtime, 'bench');
  const [noise, nearest] = await Promise.all([DchiNoiseKernel.create(runtime), NearestNeighbourKernels.create(runtime)]);
  const b: KernelBuffers = {
    nq,
    scratch,
    noise,
    nearest,
    rows: scratch.storage('rows', nq * 16),
    invEta: scratch.storage('invEta', nq * 4),
    noisy: scratch.storage('noisy', nq * t.dimVec4 * 16),
    radius: scratch.storage('radius', nq * 4),
    dist: scratch.storage('dist', nq * t.vocabSize * 4),
    outIds: scratch.storage('outIds', nq * 4),
    outDist: scratch.storage('outDist', nq * 4),
  };
  runtime.write(b.rows, packTokenRows(tokenBatch(bench, nq), t.vocabSize));
  runtime.write(b.invEta, new Float32Array(nq).fill(1 / bench.eta));
  await runtime.submit('benchmark set-up', (enc) => {
    encodeNoise(s, b)(enc);
    encodeDistances(s, b)(enc);
  });
  await runtime.device.queue.onSubmittedWorkDone();
  return b;
}

const encodeNoise = (s: GpuTableSession, b: KernelBuffers) => (enc: GPUCommandEncoder) =>
  b.noise.encode(enc, b.scratch, { table: s.device, rows: b.rows, invEta: b.invEta, out: b.noisy, radius: b.radius, n: b.nq, seed: s.seed });
const encodeDistances = (s: GpuTableSession, b: KernelBuffers) => (enc: GPUCommandEncoder) =>
  b.nearest.encodeDistances(enc, b.scratch, s.device, b.noisy, b.nq, b.dist);
const encodeSelect = (s: GpuTableSession, b: KernelBuffers) => (enc: GPUCommandEncoder) =>
  b.nearest.encodeSelect(enc, b.scratch, { table: s.device, dist: b.dist, rows: b.rows, nq: b.nq, k: 1, passThrough: true, outIds: b.outIds, outDist: b.outDist });

/**
 * One kernel alone, `reps` submits (after one warm-up) on an idle queue. Timed by pass timestamps when the
 * adapter has them (tokens/s and GFLOP/s then use GPU time), otherwise by wall time around submit +
 * onSubmittedWorkDone; the wall time is recorded either way.
 */
async function measureKernel(
  s: GpuTableSession,
  b: KernelBuffers,
  reps: number,
  name: string,
  record: (enc: GPUCommandEncoder) => void,
  flops: number | null,
  what: string,
): Promise<BenchRow> {
  await timeGpuWork(s.runtime, `benchmark warm-up ${name}`, record);
  const wall: number[] = [];
  const gpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = await timeGpuWork(s.runtime, `benchmark ${name}`, record);
    wall.push(t.wallMs);
    if (t.gpuMs !== null) gpu.push(t.gpuMs);
  }
  const useGpu = gpu.length === reps;
  const timing = summarize(useGpu ? gpu : wall);
  const wallStats = summarize(wall);
  const source = useGpu ? 'timestamp-query' : 'wall submit→onSubmittedWorkDone';
  return {
    implementation: `gpu kernel ${name}`,
    table: tableLabel(s.bench),
    batch: b.nq,
    tokensPerSecond: perSecond(b.nq, timing.medianMs),
    gflops: flops === null ? null : gflopsPerSecond(flops, timing.medianMs),
    notes: `alone, ${source}: ${timingNote(timing)}${useGpu ? `; wall median ${fmtMs(wallStats.medianMs)} ms` : ''}`,
    timing,
    detail: { what, timing: source, wall: wallStats, ...(flops === null ? {} : { distanceFlops: flops }) },
  };
}

/** d_χ noise alone: Philox normals, Gamma radius, E[id] + r·u for nq rows. No FLOPs counted. */
export const measureNoiseKernel = (s: GpuTableSession, b: KernelBuffers, reps: number) =>
  measureKernel(s, b, reps, 'dchiNoise', encodeNoise(s, b), null, 'ms per dchiNoise dispatch');

/** Pairwise squared distances alone: nq × V × d, 3 FLOPs per element per pair. */
export const measureDistanceKernel = (s: GpuTableSession, b: KernelBuffers, reps: number) =>
  measureKernel(s, b, reps, 'pairwiseDistances', encodeDistances(s, b), distanceFlops(b.nq, s.bench.host.vocabSize, s.bench.host.dim), 'ms per pairwiseDistances dispatch');

/** Top-1 selection alone over the nq × V distance matrix (one workgroup of 64 per query). */
export const measureSelectKernel = (s: GpuTableSession, b: KernelBuffers, reps: number) =>
  measureKernel(s, b, reps, 'nearestSelect k=1', encodeSelect(s, b), null, 'ms per nearestSelect dispatch');

/**
 * Readback alone, as privatize does it after each chunk: three concurrent runtime.read calls (ids,
 * squared distances, radii; 4 bytes per row each) on an idle queue — copy, submit, mapAsync, slice.
 */
export async function measureReadback(s: GpuTableSession, b: KernelBuffers, reps: number): Promise<BenchRow> {
  const { runtime } = s;
  const bytes = b.nq * 4;
  const readAll = () => Promise.all([runtime.read(b.outIds, bytes), runtime.read(b.outDist, bytes), runtime.read(b.radius, bytes)]);
  await runtime.device.queue.onSubmittedWorkDone();
  const timing = await repeatAsync(readAll, { warmup: 1, reps });
  return {
    implementation: 'gpu readback ids+dist2+radius',
    table: tableLabel(s.bench),
    batch: b.nq,
    tokensPerSecond: perSecond(b.nq, timing.medianMs),
    gflops: null,
    notes: `alone, wall: ${timingNote(timing)}; 3 × ${bytes} bytes`,
    timing,
    detail: { what: 'wall ms for the three reads privatize does per chunk, idle queue', bytesPerRead: bytes },
  };
}

export function destroyKernelBuffers(b: KernelBuffers): void {
  b.scratch.destroy();
}

/** GPU ids for the reference's tokens, so the report can say how often the two agree. */
async function gpuIds(s: GpuTableSession, rows: TokenRow[]): Promise<Uint32Array> {
  return (await s.privatizer.privatize(rows, { invEta: 1 / s.bench.eta, seed: s.seed })).ids;
}

function referenceRow(s: GpuTableSession, implementation: string, rows: TokenRow[], times: PhaseTimes, perToken: number[], ids: Uint32Array, gpu: Uint32Array, phases: string): BenchRow {
  const t = s.bench.host;
  const total = totalMs(times);
  const agree = ids.reduce((c, id, i) => c + (id === gpu[i] ? 1 : 0), 0);
  const flops = distanceFlops(rows.length, t.vocabSize, t.dim);
  const timing = summarize(perToken);
  return {
    implementation,
    table: tableLabel(s.bench),
    batch: rows.length,
    tokensPerSecond: perSecond(rows.length, total),
    gflops: gflopsPerSecond(flops, times.distancesMs),
    notes: `main thread, ${fmtMs(total)} ms total, per token median ${fmtMs(timing.medianMs)} ms, min ${fmtMs(timing.minMs)} ms; ${phases}; same ids as GPU for ${agree}/${rows.length}`,
    timing,
    detail: { what: 'wall ms per token (timing); GFLOP/s over the distance phase only', phases: times, totalMs: total, agreeWithGpu: agree, distanceFlops: flops },
  };
}

/** Runs a CPU privatiser token by token after a 2-token warm-up, collecting per-token and per-phase times. */
function runCpu(s: GpuTableSession, count: number, fn: typeof referencePrivatize) {
  const rows = tokenBatch(s.bench, count);
  const invEta = 1 / s.bench.eta;
  fn(s.bench.host, rows.slice(0, 2), invEta, s.seed, { noiseMs: 0, distancesMs: 0, selectMs: 0 });
  const times: PhaseTimes = { noiseMs: 0, distancesMs: 0, selectMs: 0 };
  const perToken: number[] = [];
  const ids = new Uint32Array(count);
  rows.forEach((row, i) => {
    const before = totalMs(times);
    ids[i] = fn(s.bench.host, [row], invEta, s.seed, times)[0];
    perToken.push(totalMs(times) - before);
  });
  return { rows, times, perToken, ids };
}

/**
 * The plain TypeScript reference (dchiNoiseReference + squaredDistancesReference + topKReference sort), on
 * the page's main thread, `count` tokens one at a time. GFLOP/s counts the distance phase only.
 */
export async function measureReference(s: GpuTableSession, count: number): Promise<BenchRow> {
  const { rows, times, perToken, ids } = runCpu(s, count, referencePrivatize);
  const total = totalMs(times);
  const phases = `noise ${pct(times.noiseMs, total)}, distances ${pct(times.distancesMs, total)}, select (sort) ${pct(times.selectMs, total)}`;
  return referenceRow(s, 'cpu reference (TS)', rows, times, perToken, ids, await gpuIds(s, rows), phases);
}

/** The same noise with a fused linear argmin scan instead of distances array + sort (reference.ts). */
export async function measureScan(s: GpuTableSession, count: number): Promise<BenchRow> {
  const { rows, times, perToken, ids } = runCpu(s, count, scanPrivatize);
  const total = totalMs(times);
  const phases = `noise ${pct(times.noiseMs, total)}, distance+argmin scan ${pct(times.distancesMs, total)}`;
  return referenceRow(s, 'cpu argmin scan (TS)', rows, times, perToken, ids, await gpuIds(s, rows), phases);
}

export type { KernelTime };
