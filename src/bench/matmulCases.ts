// Matmul alone, C = A·B (f32, A [m, k], B [k, n], row-major), three implementations on the same adapter and
// the same inputs:
//   ours     MatmulKernel (src/transformer/kernels/matmul.ts; activation none, no bias, no residual) — one
//            prepared dispatch, submitted alone, waited for with onSubmittedWorkDone; its GPU time from
//            pass timestamps is recorded too
//   jax-js   jit((a, b) => np.matmul(a, b)), waited for with blockUntilReady
//   TF.js    tf.matMul on the webgpu backend, its queue submitted and waited for (peers.ts finish)
// None of the timed calls reads the product back. The implementations take turns within each repetition
// (ours, jax-js, TF.js, ours, …), so a change in machine load hits all three alike; the first round is an
// untimed warm-up (pipeline compilation, buffer allocation). GFLOP/s = 2·m·n·k / median wall time.
//
// Agreement: after timing, each product is read back once and compared with the other two over every
// element (max |Δ|), and with an f64 reference on CHECK_ENTRIES sampled entries.

import { destroyDispatches, encodeDispatches } from '../gpu/preparedDispatch';
import { MatmulKernel } from '../transformer/kernels/matmul';
import { PhiloxStream } from '../privacy/random/philox';
import { StreamPurpose } from '../privacy/random/streams';
import { timeGpuWork, type TimedRuntime } from './gpuTimer';
import { BenchSubstream, uniformTensor } from './models';
import { errorText, openJax, openTf } from './peers';
import { fmtMs, maxAbsDiff, timingNote } from './rows';
import { gflopsPerSecond, summarize, timeAsync } from './timing';
import type { BenchRow, MatmulShape } from './types';

const CHECK_ENTRIES = 512;

interface Contender {
  implementation: string;
  setUp(): Promise<void>;
  /** One call, resolved when the GPU has finished: wall ms, and GPU ms from timestamps where known. */
  run(): Promise<{ ms: number; gpuMs?: number }>;
  /** The product, read back once after timing. */
  result(): Promise<Float32Array>;
  tearDown(): void;
  notes(): string;
  detail(): Record<string, unknown>;
}

interface Entry {
  c: Contender | null;
  implementation: string;
  error: string | null;
  samples: number[];
  gpuSamples: number[];
  starts: string[];
}

/** f64 C[r, c] for sampled (r, c). */
function referenceEntries(a: Float32Array, b: Float32Array, { m, n, k }: MatmulShape, seed: number): { r: number; c: number; value: number }[] {
  const stream = new PhiloxStream(seed, StreamPurpose.benchTable, BenchSubstream.matmulCheck);
  return Array.from({ length: CHECK_ENTRIES }, () => {
    const r = stream.nextInt(m);
    const c = stream.nextInt(n);
    let value = 0;
    for (let i = 0; i < k; i++) value += a[r * k + i] * b[i * n + c];
    return { r, c, value };
  });
}

function ours(runtime: TimedRuntime, a: Float32Array, b: Float32Array, s: MatmulShape): Contender {
  const { m, n, k } = s;
  let kernel: MatmulKernel | null = null;
  const buffers: GPUBuffer[] = [];
  let dispatches: ReturnType<MatmulKernel['prepare']>[] = [];
  const upload = (data: Float32Array, label: string) => {
    const buffer = runtime.storage(data.byteLength, `bench matmul ${label}`);
    runtime.write(buffer, data);
    buffers.push(buffer);
    return buffer;
  };
  let out: GPUBuffer | null = null;
  return {
    implementation: 'ours (WGSL matmul.wgsl)',
    async setUp() {
      kernel = await MatmulKernel.create(runtime, { activation: 'none', bias: false, residual: false, transposeB: false });
      const bufA = upload(a, 'A');
      const bufB = upload(b, 'B');
      out = runtime.storage(m * n * 4, 'bench matmul C');
      buffers.push(out);
      dispatches = [kernel.prepare({ a: bufA, b: bufB, out, m, n, k })];
    },
    async run() {
      const t = await timeGpuWork(runtime, 'benchmark matmul', (enc) => encodeDispatches(enc, dispatches));
      return t.gpuMs === null ? { ms: t.wallMs } : { ms: t.wallMs, gpuMs: t.gpuMs };
    },
    async result() {
      return new Float32Array(await runtime.read(out!, m * n * 4));
    },
    tearDown() {
      destroyDispatches(dispatches);
      for (const buffer of buffers) buffer.destroy();
    },
    notes: () => (runtime.hasTimestamps ? '' : 'no timestamp-query'),
    detail() {
      return { kernel: kernel?.isAligned(n, k) ? (kernel.options.subgroups ? 'matmul.wgsl (quad-shared loads)' : 'matmulNoSubgroups.wgsl') : 'matmulUnaligned.wgsl' };
    },
  };
}

async function jaxContender(a: Float32Array, b: Float32Array, s: MatmulShape): Promise<Contender> {
  const { jax, label, errors } = await openJax();
  const np = jax.numpy;
  let ja: ReturnType<typeof np.array> | null = null;
  let jb: ReturnType<typeof np.array> | null = null;
  const product = jax.jit((x: ReturnType<typeof np.array>, y: ReturnType<typeof np.array>) => np.matmul(x, y));
  return {
    implementation: 'jax-js (jit np.matmul)',
    async setUp() {
      ja = np.array(a, { shape: [s.m, s.k] });
      jb = np.array(b, { shape: [s.k, s.n] });
      await jax.blockUntilReady([ja, jb]);
    },
    async run() {
      const { ms, value } = await timeAsync(async () => {
        const c = product(ja!.ref, jb!.ref);
        await c.blockUntilReady();
        return c;
      });
      value.dispose();
      return { ms };
    },
    async result() {
      return new Float32Array((await product(ja!.ref, jb!.ref).data()) as Float32Array);
    },
    tearDown() {
      ja?.dispose();
      jb?.dispose();
      product.dispose();
    },
    notes: () => (errors.length ? `device errors: ${errors.join('; ')}` : ''),
    detail: () => ({ peer: label, deviceErrors: [...errors] }),
  };
}

async function tfContender(a: Float32Array, b: Float32Array, s: MatmulShape): Promise<Contender> {
  const { tf, label, finish, errors } = await openTf();
  let ta: ReturnType<typeof tf.tensor2d> | null = null;
  let tb: ReturnType<typeof tf.tensor2d> | null = null;
  return {
    implementation: 'TF.js webgpu (tf.matMul)',
    async setUp() {
      ta = tf.tensor2d(a, [s.m, s.k]);
      tb = tf.tensor2d(b, [s.k, s.n]);
    },
    async run() {
      const { ms, value } = await timeAsync(async () => {
        const c = tf.matMul(ta!, tb!);
        await finish();
        return c;
      });
      value.dispose();
      return { ms };
    },
    async result() {
      const c = tf.matMul(ta!, tb!);
      const data = new Float32Array(await c.data());
      c.dispose();
      return data;
    },
    tearDown() {
      ta?.dispose();
      tb?.dispose();
    },
    notes: () => (errors.length ? `device errors: ${errors.join('; ')}` : ''),
    detail: () => ({ peer: label, deviceErrors: [...errors] }),
  };
}

/** All rows of one matmul shape. */
export async function benchMatmulShape(
  runtime: TimedRuntime,
  s: MatmulShape,
  rounds: { warmup: number; reps: number },
  seed: number,
  log: (m: string) => void,
): Promise<BenchRow[]> {
  const { m, n, k } = s;
  const shape = `${m}×${k}·${k}×${n}`;
  const flops = 2 * m * n * k;
  const a = uniformTensor(m * k, seed, BenchSubstream.matmulA, 1 / Math.sqrt(3));
  const b = uniformTensor(k * n, seed, BenchSubstream.matmulB, 1 / Math.sqrt(3));
  const reference = referenceEntries(a, b, s, seed);

  const contenders: Entry[] = [];
  const factories: [string, () => Promise<Contender> | Contender][] = [
    ['ours (WGSL matmul.wgsl)', () => ours(runtime, a, b, s)],
    ['jax-js (jit np.matmul)', () => jaxContender(a, b, s)],
    ['TF.js webgpu (tf.matMul)', () => tfContender(a, b, s)],
  ];
  for (const [implementation, make] of factories) {
    try {
      const c = await make();
      await c.setUp();
      contenders.push({ c, implementation, error: null, samples: [], gpuSamples: [], starts: [] });
    } catch (e) {
      log(`  ${implementation}: set-up failed: ${errorText(e)}`);
      contenders.push({ c: null, implementation, error: `set-up: ${errorText(e)}`, samples: [], gpuSamples: [], starts: [] });
    }
  }
  for (let round = 0; round < rounds.warmup + rounds.reps; round++) {
    for (const entry of contenders) {
      if (!entry.c || entry.error) continue;
      try {
        const startedAt = new Date().toISOString();
        const { ms, gpuMs } = await entry.c.run();
        if (round >= rounds.warmup) {
          entry.samples.push(ms);
          entry.starts.push(startedAt);
          if (gpuMs !== undefined) entry.gpuSamples.push(gpuMs);
        }
      } catch (e) {
        entry.error = `run: ${errorText(e)}`;
        log(`  ${entry.implementation}: ${entry.error}`);
      }
    }
    log(`  ${shape}: round ${round + 1}/${rounds.warmup + rounds.reps}${round < rounds.warmup ? ' (warm-up)' : ''}`);
  }

  const products = new Map<string, Float32Array>();
  for (const entry of contenders) {
    if (!entry.c || entry.error) continue;
    try {
      products.set(entry.implementation, await entry.c.result());
    } catch (e) {
      entry.error = `read-back: ${errorText(e)}`;
    }
  }
  const rows: BenchRow[] = [];
  for (const entry of contenders) {
    const product = products.get(entry.implementation);
    const others = [...products].filter(([name]) => name !== entry.implementation).map(([name, p]) => ({ name, maxAbsDiff: maxAbsDiff(product ?? new Float32Array(), p) }));
    const vsReference = product ? Math.max(...reference.map(({ r, c, value }) => Math.abs(product[r * n + c] - value))) : null;
    const timing = entry.samples.length ? summarize(entry.samples) : null;
    const gpu = entry.gpuSamples.length ? summarize(entry.gpuSamples) : null;
    const agreement = product
      ? `max |Δ| vs f64 on ${CHECK_ENTRIES} entries ${vsReference!.toExponential(1)}; ${others.map((o) => `vs ${o.name.split(' ')[0]} ${o.maxAbsDiff.toExponential(1)}`).join(', ')}`
      : '';
    rows.push({
      section: 'matmul',
      implementation: entry.implementation,
      table: shape,
      shape,
      batch: m,
      tokensPerSecond: null,
      gflops: timing ? gflopsPerSecond(flops, timing.medianMs) : null,
      notes: entry.error
        ? `FAILED — ${entry.error}`
        : [
            timing ? `wall ${timingNote(timing)}` : '',
            gpu ? `GPU (timestamps) median ${fmtMs(gpu.medianMs)} ms = ${gflopsPerSecond(flops, gpu.medianMs).toFixed(2)} GFLOP/s` : '',
            entry.c?.notes() ?? '',
            agreement,
          ]
            .filter(Boolean)
            .join('; '),
      timing,
      sampleStartedAt: entry.starts,
      detail: {
        what: 'wall ms per call (submit → GPU done, no readback); GFLOP/s = 2mnk / median',
        m,
        n,
        k,
        flops,
        maxAbsDiffVsF64Sampled: vsReference,
        maxAbsDiffVs: Object.fromEntries(others.map((o) => [o.name, o.maxAbsDiff])),
        ...(gpu ? { gpuTimestampMs: gpu } : {}),
        ...(entry.c && !entry.error ? entry.c.detail() : {}),
        ...(entry.error ? { error: entry.error } : {}),
      },
      ...(entry.error ? { error: entry.error } : {}),
    });
    entry.c?.tearDown();
  }
  return rows;
}
