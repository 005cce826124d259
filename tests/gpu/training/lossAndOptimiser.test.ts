import { describe, expect, it } from 'vitest';
import { destroyDispatches, encodeDispatches } from '../../../src/gpu/preparedDispatch';
import type { GpuRuntime } from '../../../src/gpu/runtime';
import { AdamWKernel, stepStateFor } from '../../../src/training/kernels/adamW';
import { adamWInitialState, adamWReference, type AdamWState } from '../../../src/training/kernels/adamWReference';
import { ColumnSumKernel } from '../../../src/training/kernels/columnSum';
import { columnSumReference } from '../../../src/training/kernels/columnSumReference';
import { CrossEntropyKernel, IGNORED_TARGET, type CrossEntropyLayout } from '../../../src/training/kernels/crossEntropy';
import { crossEntropyReference } from '../../../src/training/kernels/crossEntropyReference';
import { ClipScaleKernel, SumSquaresKernel } from '../../../src/training/kernels/globalNorm';
import { clipScaleReference, sumSquaresReference } from '../../../src/training/kernels/globalNormReference';
import { CountCorrectKernel, ReduceSumKernel } from '../../../src/training/kernels/reduceSum';
import { countCorrectReference, reduceSumReference } from '../../../src/training/kernels/reduceSumReference';
import { testRandom, testRuntime } from '../gpuTestRuntime';
import { TestBuffers, expectClose, randomArray, readFloats, run } from '../transformer/kernelTestUtils';

const U = 2 ** -24;

async function readU32(rt: GpuRuntime, buffer: GPUBuffer, n: number): Promise<Uint32Array> {
  return new Uint32Array(await rt.read(buffer, n * 4));
}

/**
 * Logits with awkward rows: row kinds cycle through plain values in [−8, 8), offsets ±10⁴ (naive softmax
 * overflows or underflows everything), a spread of ±1e30, all-equal values (ties: argmax 0, uniform
 * softmax), a duplicated maximum (argmax = the first copy) and a confident row (14 at class r mod classes,
 * the rest in [−8, 8): s − 1 is small, where log needs precise_log; targetsFor aims at that class).
 */
function awkwardLogits(seed: number, rows: number, classes: number): Float32Array {
  const rand = testRandom(seed);
  const x = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const kind = r % 7;
    const base = r * classes;
    for (let c = 0; c < classes; c++) {
      const u = 2 * rand() - 1;
      x[base + c] = [8 * u, 1e4 + 8 * u, -1e4 + 8 * u, 1e30 * u, 3.25, 20 * u, 8 * u][kind];
    }
    if (kind === 5 && classes > 1) {
      const first = Math.floor(rand() * classes);
      x[base + first] = 50;
      x[base + classes - 1] = 50; // equal to the max: must not win unless it is the first
    }
    if (kind === 6) x[base + (r % classes)] = 14;
  }
  return x;
}

/**
 * Targets: random classes (the argmax on awkwardLogits' confident rows), every fourth row ignored; `bad`
 * rows get the out-of-range target `classes`.
 */
function targetsFor(seed: number, rows: number, classes: number, bad: number[] = []): Uint32Array {
  const rand = testRandom(seed);
  const pick = (r: number) => (r % 7 === 6 ? r % classes : Math.floor(rand() * classes));
  return Uint32Array.from({ length: rows }, (_, r) => (bad.includes(r) ? classes : r % 4 === 3 ? IGNORED_TARGET : pick(r)));
}

/**
 * Error bounds from the reference (f64). Loss (m − x_t) + log s: the subtraction rounds once
 * (u·|m − x_t|); s = Σ e^{x − m} has each exp within (3 + 2|x − m|) ULP (the WGSL/Vulkan bound) and at
 * most `classes` additions in sequence, so |δs|/s ≤ (classes + 2)·u + Σ(3 + 2|x − m|)e^{x − m}·u / s;
 * log adds that plus 2^-21 (WGSL's absolute log error on [0.5, 2]) where s ≥ 1 + 1/16, a few u of
 * log s below (precise_log), and
 * 3 ULP of the result. Gradient scale·(e^{x−m}/s − [c = t]): relative error of e^{x−m}·(1/s)·scale is
 * that of s plus the exp bound plus 3 roundings, then one rounding of the subtraction. Both doubled.
 */
function crossEntropyTolerance(logits: Float32Array, targets: Uint32Array, rows: number, classes: number, scale: number) {
  const loss = new Float64Array(rows);
  const grad = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    let m = -Infinity;
    for (let c = 0; c < classes; c++) m = Math.max(m, logits[base + c]);
    let s = 0;
    let expErr = 0;
    for (let c = 0; c < classes; c++) {
      const d = logits[base + c] - m;
      s += Math.exp(d);
      expErr += (3 + 2 * Math.abs(d)) * Math.exp(d) * U;
    }
    const relS = (classes + 2) * U + expErr / s;
    const t = targets[r];
    if (t >= classes) continue; // exact zeros expected
    const l = m - logits[base + t] + Math.log(s);
    // precise_log is a series (~1e-10 relative) for |s − 1| < 1/16; WGSL's log is trusted to 2^-21 elsewhere.
    const logErr = Math.abs(s - 1) < 1 / 16 ? 4 * U * Math.log(s) : 2 ** -21;
    loss[r] = 2 * (U * Math.abs(m - logits[base + t]) + relS + logErr + 3 * U * Math.abs(l));
    for (let c = 0; c < classes; c++) {
      const d = logits[base + c] - m;
      const p = Math.exp(d) / s;
      grad[base + c] = 2 * Math.abs(scale) * (p * (relS + (6 + 2 * Math.abs(d)) * U) + U);
    }
  }
  return { loss, grad };
}

async function checkCrossEntropy(rows: number, classes: number, layout: CrossEntropyLayout | undefined, seed: number, scale = 0.75, bad: number[] = []) {
  const rt = await testRuntime();
  const kernel = await CrossEntropyKernel.create(rt);
  const bufs = new TestBuffers(rt);
  const logits = awkwardLogits(seed, rows, classes);
  const targets = targetsFor(seed + 1, rows, classes, bad);
  const dLogits = bufs.output(rows * classes);
  const losses = bufs.output(rows);
  const predicted = bufs.output(rows);
  await run(rt, [kernel.prepare({ logits: bufs.upload(logits), targets: bufs.upload(targets), dLogits, losses, predicted, rows, classes, scale, layout })]);
  // The reference throws on out-of-range targets; the kernel must treat them as ignored.
  const refTargets = targets.map((t) => (t >= classes ? IGNORED_TARGET : t));
  const want = crossEntropyReference(logits, refTargets, rows, classes, scale);
  const tol = crossEntropyTolerance(logits, refTargets, rows, classes, scale);
  const what = `crossEntropy ${rows}×${classes} ${layout ?? 'default'}`;
  expectClose(await readFloats(rt, losses, rows), want.losses, tol.loss, 0, `${what} losses`);
  expectClose(await readFloats(rt, dLogits, rows * classes), want.dLogits, tol.grad, 0, `${what} dLogits`);
  expect([...(await readU32(rt, predicted, rows))], `${what} predicted`).toEqual([...want.predicted]);
  bufs.destroy();
}

describe('shaders/training/crossEntropy.wgsl', () => {
  for (const rows of [1, 3, 129]) {
    for (const classes of [2, 7, 8000]) {
      it(`matches the reference for ${rows}×${classes} (both layouts; ±1e4 offsets, ±1e30, ties, ignored rows)`, async () => {
        await checkCrossEntropy(rows, classes, 'invocationPerRow', rows * 7 + classes);
        await checkCrossEntropy(rows, classes, 'workgroupPerRow', rows * 7 + classes);
      });
    }
  }

  it('is correct with the default layout (65 classes: a workgroup per row; 3: an invocation per row), ignores out-of-range targets, checks its bindings', async () => {
    await checkCrossEntropy(70, 65, undefined, 5, -2, [1, 69]);
    await checkCrossEntropy(67, 3, undefined, 6, 1 / 67, [0]);
    const rt = await testRuntime();
    const kernel = await CrossEntropyKernel.create(rt);
    const bufs = new TestBuffers(rt);
    const big = bufs.output(64);
    const small = bufs.output(4);
    const ok = { logits: big, targets: small, dLogits: bufs.output(64), losses: bufs.output(4), predicted: bufs.output(4), rows: 4, classes: 16, scale: 1 };
    expect(() => kernel.prepare({ ...ok, classes: 17 })).toThrow(/'logits' has 256 bytes, needs 272/);
    expect(() => kernel.prepare({ ...ok, dLogits: big })).toThrow(/overlaps input 'logits'/);
    expect(() => kernel.prepare({ ...ok, predicted: ok.losses })).toThrow(/overlaps input 'losses'/);
    expect(() => kernel.prepare({ ...ok, rows: 0 })).toThrow(/rows/);
    expect(() => kernel.prepare({ ...ok, scale: Number.NaN })).toThrow(/scale/);
    bufs.destroy();
  });
});

describe('shaders/training/reduceSum.wgsl', () => {
  it('sums into a slot, overwriting then accumulating, for awkward counts', async () => {
    const rt = await testRuntime();
    const kernel = await ReduceSumKernel.create(rt);
    for (const count of [1, 3, 257, 100_003]) {
      const bufs = new TestBuffers(rt);
      const x = randomArray(count, count, -2, 3);
      const y = randomArray(count + 1, count, -1, 1);
      const out = bufs.upload(Float32Array.of(7, Number.NaN, 7, 7));
      const xb = bufs.upload(x);
      const yb = bufs.upload(y);
      // The NaN in slot 1 must be overwritten (accumulate false), then y is added to it.
      await run(rt, [kernel.prepare({ x: xb, out, count, slot: 1, factor: 0.5, accumulate: false }), kernel.prepare({ x: yb, out, count, slot: 1, factor: -3, accumulate: true })]);
      const got = await readFloats(rt, out, 4);
      const first = reduceSumReference(x, 0.5);
      const want = reduceSumReference(y, -3, first);
      // ≤ (count/256 + 8)·u·Σ|x| per sum (reduceSum.wgsl), times |factor|, plus the final additions; doubled.
      let ax = 0;
      let ay = 0;
      for (let i = 0; i < count; i++) {
        ax += Math.abs(x[i]);
        ay += Math.abs(y[i]);
      }
      const tol = 2 * ((count / 256 + 10) * U * (0.5 * ax + 3 * ay) + U * Math.abs(want));
      expectClose(got, [7, want, 7, 7], [0, tol, 0, 0], 0, `reduceSum ${count}`);
      bufs.destroy();
    }
  });

  it('counts correct predictions over non-ignored rows (CountCorrectKernel), accumulating by default', async () => {
    const rt = await testRuntime();
    const kernel = await CountCorrectKernel.create(rt);
    for (const rows of [1, 3, 129, 1000]) {
      const bufs = new TestBuffers(rt);
      const rand = testRandom(rows);
      const predicted = Uint32Array.from({ length: rows }, () => Math.floor(rand() * 3));
      const targets = Uint32Array.from({ length: rows }, (_, r) => (r % 5 === 4 ? IGNORED_TARGET : Math.floor(rand() * 3)));
      if (rows === 1) targets[0] = predicted[0];
      const out = bufs.upload(Float32Array.of(2.5, 11));
      const p = bufs.upload(predicted);
      const t = bufs.upload(targets);
      await run(rt, [kernel.prepare({ predicted: p, targets: t, out, count: rows, slot: 1 }), kernel.prepare({ predicted: p, targets: t, out, count: rows, slot: 0, factor: 2, accumulate: false })]);
      const n = countCorrectReference(predicted, targets);
      expect([...(await readFloats(rt, out, 2))], `countCorrect ${rows}`).toEqual([2 * n, 11 + n]);
      bufs.destroy();
    }
  });

  it('checks its bindings', async () => {
    const rt = await testRuntime();
    const sum = await ReduceSumKernel.create(rt);
    const count = await CountCorrectKernel.create(rt);
    const bufs = new TestBuffers(rt);
    const x = bufs.output(4);
    const out = bufs.output(4);
    expect(() => sum.prepare({ x, out, count: 4, slot: 4, factor: 1, accumulate: true })).toThrow(/'out' has 16 bytes, needs 20/);
    expect(() => sum.prepare({ x, out: x, count: 4, slot: 0, factor: 1, accumulate: true })).toThrow(/overlaps/);
    expect(() => sum.prepare({ x, out, count: 5, slot: 0, factor: 1, accumulate: true })).toThrow(/'x' has 16 bytes, needs 20/);
    expect(() => count.prepare({ predicted: x, targets: out, out, count: 4, slot: 0 })).toThrow(/overlaps input 'targets'/);
    bufs.destroy();
  });
});

describe('shaders/training/columnSum.wgsl', () => {
  for (const [rows, cols] of [[1, 1], [3, 7], [129, 65], [5, 130], [32, 512]]) {
    it(`sums the columns of ${rows}×${cols}`, async () => {
      const rt = await testRuntime();
      const kernel = await ColumnSumKernel.create(rt);
      const bufs = new TestBuffers(rt);
      const x = randomArray(rows * 3 + cols, rows * cols, -1, 1);
      const out = bufs.output(cols);
      await run(rt, [kernel.prepare({ x: bufs.upload(x), out, rows, cols })]);
      // In-order sum of `rows` terms: ≤ (rows − 1)·u·Σ_r|x[r, c]| (columnSum.wgsl); doubled.
      const abs = columnSumReference(x.map(Math.abs), rows, cols);
      expectClose(await readFloats(rt, out, cols), columnSumReference(x, rows, cols), abs.map((a) => 2 * rows * U * a), 0, `columnSum ${rows}×${cols}`);
      expect(() => kernel.prepare({ x: out, out, rows: 1, cols })).toThrow(/overlaps/);
      bufs.destroy();
    });
  }
});

describe('shaders/training/globalNorm.wgsl', () => {
  it('writes Σx² per slot for awkward counts up to 1M, then the global norm and clip scale', async () => {
    const rt = await testRuntime();
    const sumSquares = await SumSquaresKernel.create(rt);
    const clipScale = await ClipScaleKernel.create(rt);
    const bufs = new TestBuffers(rt);
    const counts = [1, 3, 257, 1_000_003];
    const xs = counts.map((n, i) => randomArray(100 + i, n, -0.01 * (i + 1), 0.01 * (i + 1)));
    const partials = bufs.output(counts.length + 1);
    const outs = [bufs.output(2), bufs.output(2), bufs.output(2)];
    const want = xs.map(sumSquaresReference);
    const norm = Math.sqrt(want.reduce((a, b) => a + b, 0));
    const maxNorms = [norm / 3, 0, norm * 2];
    await run(rt, [
      ...xs.map((x, slot) => sumSquares.prepare({ x: bufs.upload(x), count: counts[slot], partials, slot })),
      ...maxNorms.map((maxNorm, i) => clipScale.prepare({ partials, slots: counts.length, out: outs[i], maxNorm })),
    ]);
    // All terms ≥ 0: relative error ≤ (count/256 + 8)·u (globalNorm.wgsl); doubled.
    const rel = counts.map((n) => 2 * (n / 256 + 8) * U);
    const got = await readFloats(rt, partials, counts.length + 1);
    expectClose(got.subarray(0, counts.length), want, want.map((w, i) => rel[i] * w), 0, 'sumSquares');
    expect(got[counts.length], 'slot past the last is untouched').toBeNaN();
    const normRel = Math.max(...rel) / 2 + 4 * U; // half the relative error of Σ, plus the sqrt and slot sum
    for (let i = 0; i < maxNorms.length; i++) {
      const [n, s] = clipScaleReference(want, maxNorms[i]);
      expectClose(await readFloats(rt, outs[i], 2), [n, s], [normRel * n, (normRel + 4 * U) * s], 0, `clipScale maxNorm ${maxNorms[i]}`);
    }
    expect((await readFloats(rt, outs[1], 2))[1]).toBe(1);
    expect((await readFloats(rt, outs[2], 2))[1]).toBe(1);
    expect(() => clipScale.prepare({ partials, slots: counts.length, out: partials, maxNorm: 1 })).toThrow(/overlaps/);
    expect(() => clipScale.prepare({ partials, slots: 9, out: outs[0], maxNorm: 1 })).toThrow(/'partials' has 32 bytes, needs 36/);
    expect(() => sumSquares.prepare({ x: outs[0], count: 2, partials, slot: 8 })).toThrow(/'partials' has 32 bytes, needs 36/);
    bufs.destroy();
  });

  it('gives norm 0 and scale 1 for a zero gradient (the 1e-6 keeps it finite)', async () => {
    const rt = await testRuntime();
    const sumSquares = await SumSquaresKernel.create(rt);
    const clipScale = await ClipScaleKernel.create(rt);
    const bufs = new TestBuffers(rt);
    const partials = bufs.output(1);
    const out = bufs.output(2);
    await run(rt, [sumSquares.prepare({ x: bufs.upload(new Float32Array(5)), count: 5, partials, slot: 0 }), clipScale.prepare({ partials, slots: 1, out, maxNorm: 1 })]);
    expect([...(await readFloats(rt, out, 2))]).toEqual([0, 1]);
    bufs.destroy();
  });
});

describe('shaders/training/adamW.wgsl', () => {
  const STEPS = 5;
  const h = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
  const lrAt = (t: number) => 0.02 * (1 - t / 10);

  /**
   * Several steps of [sumSquares per tensor → clipScale → AdamW per tensor], prepared once and submitted
   * every step with new gradients and a new stepState, against the f64 reference fed the same gradients.
   */
  async function checkSequence(maxNorm: (norm: number) => number, what: string) {
    const rt = await testRuntime();
    const [adamW, sumSquares, clipScale] = await Promise.all([AdamWKernel.create(rt), SumSquaresKernel.create(rt), ClipScaleKernel.create(rt)]);
    const bufs = new TestBuffers(rt);
    const counts = [1, 1029, 300];
    const decay = [0, 0.01, 0.5];
    const amplitude = [1, 0.05, 0.5]; // small parameters: the update, not the rounding of p, dominates
    const params0 = counts.map((n, i) => randomArray(10 + i, n, -amplitude[i], amplitude[i]));
    const grads = Array.from({ length: STEPS }, (_, t) => counts.map((n, i) => randomArray(100 * t + i, n, -(i + 1), i + 1)));
    const norm0 = Math.sqrt(grads[0].map(sumSquaresReference).reduce((a, b) => a + b, 0));
    const clipAt = maxNorm(norm0);
    const param = params0.map((p) => bufs.upload(p));
    const grad = counts.map((n) => bufs.output(n));
    const m = counts.map((n) => bufs.upload(new Float32Array(n)));
    const v = counts.map((n) => bufs.upload(new Float32Array(n)));
    const stepState = bufs.output(4);
    const partials = bufs.output(counts.length);
    const clip = bufs.output(2);
    const dispatches = [
      ...counts.map((count, slot) => sumSquares.prepare({ x: grad[slot], count, partials, slot })),
      clipScale.prepare({ partials, slots: counts.length, out: clip, maxNorm: clipAt }),
      ...counts.map((count, i) => adamW.prepare({ param: param[i], grad: grad[i], m: m[i], v: v[i], count, stepState, clip, ...h, weightDecay: decay[i] })),
    ];
    let ref: AdamWState[] = params0.map((p) => adamWInitialState(p));
    // Magnitudes for the tolerance: m from |g|, v itself, and Σ_t (|p_t| + lr_t·|ratio_t|) for p.
    let bound = counts.map((n) => ({ m: new Float64Array(n), v: new Float64Array(n), p: new Float64Array(n) }));
    const scales: number[] = [];
    for (let t = 1; t <= STEPS; t++) {
      counts.forEach((_, i) => rt.write(grad[i], grads[t - 1][i]));
      rt.write(stepState, stepStateFor(t, lrAt(t), h.beta1, h.beta2));
      await rt.submit('adamW test step', (enc) => encodeDispatches(enc, dispatches));
      const [, scale] = clipScaleReference(grads[t - 1].map(sumSquaresReference), clipAt);
      scales.push(scale);
      ref = ref.map((s, i) => adamWReference(s, grads[t - 1][i], t, scale, { ...h, lr: lrAt(t), weightDecay: decay[i] }));
      bound = bound.map((b, i) => {
        const g = grads[t - 1][i];
        const bc1 = 1 - h.beta1 ** t;
        const bc2 = 1 - h.beta2 ** t;
        const next = { m: new Float64Array(b.m.length), v: new Float64Array(b.m.length), p: new Float64Array(b.m.length) };
        for (let j = 0; j < g.length; j++) {
          next.m[j] = h.beta1 * b.m[j] + (1 - h.beta1) * Math.abs(g[j] * scale);
          next.v[j] = ref[i].v[j];
          // lr·m̂_abs/(√v̂ + eps): the update's magnitude before m cancelled.
          next.p[j] = b.p[j] + Math.abs(ref[i].param[j]) + lrAt(t) * (next.m[j] / bc1 / (Math.sqrt(ref[i].v[j] / bc2) + h.eps));
        }
        return next;
      });
    }
    destroyDispatches(dispatches);
    // Error budget in units of u, summed over steps without cancellation (the bounds above). Each step
    // rounds m and v ≤ 5 times (two products, a sum, β and 1 − β rounded to f32), so they drift by
    // ≤ 5u per step relative to their magnitudes; the ratio m̂/(√v̂ + eps) inherits that plus ~8 roundings
    // (stepState rounded to f32, two divisions, sqrt, add), and p one more. With clipping the GPU's scale is
    // off by ≤ clipU·u relative (globalNorm.wgsl: Σx² of the largest tensor, the slot sum, sqrt, divide),
    // which enters m linearly and v quadratically. All doubled. (Measured: m ≤ 3.1u, v ≤ 6.3u, p ≤ 1.3u.)
    const clipU = scales.some((s) => s < 1) ? Math.max(...counts) / 256 + 12 : 0;
    const Km = 2 * (5 * STEPS + clipU);
    const Kv = 2 * (5 * STEPS + 2 * clipU);
    const Kp = 2 * (5 * STEPS + 8 + 2 * clipU);
    for (let i = 0; i < counts.length; i++) {
      const n = counts[i];
      const label = `adamW ${what} tensor ${i} (${n})`;
      expectClose(await readFloats(rt, m[i], n), ref[i].m, bound[i].m.map((a) => Km * U * a), 0, `${label} m`);
      expectClose(await readFloats(rt, v[i], n), ref[i].v, bound[i].v.map((a) => Kv * U * a), 0, `${label} v`);
      expectClose(await readFloats(rt, param[i], n), ref[i].param, bound[i].p.map((a) => Kp * U * a), 0, `${label} param`);
    }
    // The GPU's clip scale after the last step.
    const [, lastScale] = clipScaleReference(grads[STEPS - 1].map(sumSquaresReference), clipAt);
    const gotClip = await readFloats(rt, clip, 2);
    expect(Math.abs(gotClip[1] - lastScale)).toBeLessThanOrEqual((clipU + 4) * U * lastScale);
    bufs.destroy();
    return scales;
  }

  it('matches the reference over several steps with clipping active', async () => {
    const scales = await checkSequence((norm) => norm / 4, 'clipped');
    expect(Math.max(...scales)).toBeLessThan(1);
  });

  it('matches the reference over several steps with clipping inactive (maxNorm 0, and maxNorm above the norm)', async () => {
    expect(await checkSequence(() => 0, 'maxNorm 0')).toEqual(Array(STEPS).fill(1));
    expect(await checkSequence((norm) => norm * 10, 'maxNorm above')).toEqual(Array(STEPS).fill(1));
  });

  it('checks its bindings and hyperparameters', async () => {
    const rt = await testRuntime();
    const adamW = await AdamWKernel.create(rt);
    const bufs = new TestBuffers(rt);
    const b = () => bufs.output(8);
    const ok = { param: b(), grad: b(), m: b(), v: b(), count: 8, stepState: bufs.output(4), clip: bufs.output(2), ...h, weightDecay: 0 };
    expect(() => adamW.prepare({ ...ok, count: 9 })).toThrow(/'param' has 32 bytes, needs 36/);
    expect(() => adamW.prepare({ ...ok, m: ok.param })).toThrow(/overlaps input 'm'/);
    expect(() => adamW.prepare({ ...ok, v: ok.grad })).toThrow(/overlaps input 'grad'/);
    expect(() => adamW.prepare({ ...ok, beta2: 1 })).toThrow(/beta2/);
    expect(() => adamW.prepare({ ...ok, weightDecay: -1 })).toThrow(/weightDecay/);
    expect(() => adamW.prepare({ ...ok, stepState: { buffer: ok.clip, size: 8 } })).toThrow(/'stepState' has 8 bytes, needs 16/);
    await run(rt, [adamW.prepare(ok)]); // compiles and validates
    bufs.destroy();
  });
});
