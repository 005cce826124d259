// Encoder forward throughput: `batch` sentences of exactly `length` tokens per call, each implementation on
// the same weights and ids, in the same page and on the same adapter (models.ts says where both come from).
//
//   use-lite   ours    UseLiteEncoder.encode(sentences, batch)  (src/model/useLite/useLiteEncoder.ts)
//              TF.js   the original USE-Lite graph, tf.loadGraphModel(tf.io.fromMemory(…)) on the webgpu
//                      backend, all sentences in one call through its sparse input: indices [N, 2] =
//                      [sentence, position], values [N] = token ids
//              jax-js  the same forward written with jit (jaxModels.ts)
//   bert-base  ours    BertEncoder.forward(ids)  (src/model/bert/bertEncoder.ts; hidden states and the mean
//                      pool are read back)
//              jax-js  the same forward with jit (jaxModels.ts; reads back the same two outputs)
//
// One call = upload ids, run, read the outputs back, as an application would; timed with performance.now()
// around the awaited call. Per shape, each implementation first makes one untimed call (pipeline and jit
// compilation, buffer allocation) — for ours this call runs with per-dispatch timestamps (gpuTimer.ts) and
// becomes the "per kernel" row: where the GPU time goes, by kernel and grouped as matmul / attention /
// layerNorm / rest, next to the wall time outside kernels; jax-js's BERT warm-up runs only the embeddings,
// one layer and the pool (its layer jit compiles once for all layers). Then the timed calls, the
// implementations taking turns (ours, TF.js, jax-js, ours, …) so that a change in machine load hits all of
// them alike. Tokens/s = batch·length / median; GFLOP/s from flops.ts.
//
// Ours compiles every pipeline in create() and a new shape only allocates its plan, so where a call costs
// a minute (BERT-base on SwiftShader) the plan may give ours 0 timed calls: after one 1×8 call right after
// set-up, its per-kernel call is then also its timed sample (same kernels, one pass per dispatch instead of
// one pass for all — the quick plan and USE-Lite measure both, to show what that costs).
//
// Agreement: USE-Lite outputs are compared with the double-precision reference (useLiteReferenceEncode) on
// the first few sentences (max |Δ| and the smallest cosine) and with ours on the whole batch; BERT outputs
// of jax-js with ours (hidden states and mean pool, max |Δ|).

import type { BertConfig } from '../model/bert/bertConfig';
import { BertEncoder } from '../model/bert/bertEncoder';
import { UseLiteEncoder } from '../model/useLite/useLiteEncoder';
import { useLiteReferenceEncode } from '../model/useLite/useLiteReference';
import { useLiteParameterCount } from '../model/useLite/useLiteWeights';
import { bertFlops, FLOP_COUNTING, useLiteFlops, type ForwardFlops } from './flops';
import type { KernelTime, TimedRuntime } from './gpuTimer';
import { jaxBert, jaxUseLite } from './jaxModels';
import { bertBaseConfig, corpusBatch, loadUseLiteBundle, randomBertIds, randomBertWeights, type UseLiteBundle } from './models';
import { errorText, openJax, openTf } from './peers';
import { fmtMs, maxAbsDiff, minRowCosine, pct, timingNote } from './rows';
import { gflopsPerSecond, perSecond, summarize, timeAsync, yieldToEventLoop } from './timing';
import type { BenchModelInfo, BenchRow, ForwardPlan, ForwardShape } from './types';

export interface ForwardSession {
  runtime: TimedRuntime;
  plan: ForwardPlan;
  seed: number;
  log(message: string): void;
  /** Called with each finished row (progress and finishedAt). */
  onRow(row: BenchRow): void;
}

/** One implementation of one model: outputs as flat Float32Arrays (compared across implementations). */
interface Implementation {
  name: string;
  /**
   * Timed calls per shape. 0 (ours only, for BERT-base in the full plan): the per-kernel call is the one
   * timed sample — it is the same forward with each dispatch in its own pass — after prime() has run.
   */
  reps: number;
  setUp(): Promise<void>;
  /** Ours only: one call at a tiny shape after set-up, so that no first-dispatch cost lands in a timed call. */
  prime?(): Promise<void>;
  /** The untimed first call at this shape (compiles, allocates). */
  warmUp(shape: ForwardShape): Promise<void>;
  /** One forward call; resolves with its outputs once they are read back. */
  run(shape: ForwardShape): Promise<Float32Array[]>;
  tearDown(): void;
  /** Ours only: the first call at a shape with per-dispatch timestamps. */
  breakdown?(shape: ForwardShape): Promise<Breakdown>;
  /** Device errors and adjustments worth a note. */
  notes(): string;
}

interface Breakdown {
  wallMs: number;
  kernels: KernelTime[];
  untimedPasses: number;
  outputs: Float32Array[];
}

type Check = (name: string, outputs: Float32Array[], shape: ForwardShape, all: Map<string, Float32Array[]>) => { note: string; detail: Record<string, unknown> };

const shapeLabel = (s: ForwardShape) => `${s.batch}×${s.length}`;

/** matmul / attention / layerNorm / rest, from shader file names (gpuTimer.ts kernelName). */
function kernelGroup(kernel: string): 'matmul' | 'attention' | 'layerNorm' | 'rest' {
  if (kernel.startsWith('matmul')) return 'matmul';
  if (kernel.startsWith('attention')) return 'attention';
  if (kernel === 'layerNorm') return 'layerNorm';
  return 'rest';
}

function breakdownRow(model: string, shape: ForwardShape, flops: ForwardFlops, b: Breakdown, startedAt: string): BenchRow {
  const groups = { matmul: 0, attention: 0, layerNorm: 0, rest: 0 };
  const restKernels = new Set<string>();
  for (const k of b.kernels) {
    const g = kernelGroup(k.kernel);
    groups[g] += k.gpuMs;
    if (g === 'rest') restKernels.add(k.kernel);
  }
  const gpuMs = groups.matmul + groups.attention + groups.layerNorm + groups.rest;
  const outside = Math.max(0, b.wallMs - gpuMs);
  const part = (name: string, ms: number) => `${name} ${fmtMs(ms)} ms (${pct(ms, b.wallMs)})`;
  const matmulRate = groups.matmul > 0 ? gflopsPerSecond(flops.matmul, groups.matmul) : null;
  const attentionRate = groups.attention > 0 ? gflopsPerSecond(flops.attention, groups.attention) : null;
  return {
    section: 'forward',
    implementation: 'ours, per kernel (timestamps)',
    table: model,
    shape: shapeLabel(shape),
    batch: shape.batch,
    tokensPerSecond: perSecond(shape.batch * shape.length, b.wallMs),
    gflops: gflopsPerSecond(flops.total, b.wallMs),
    notes:
      `first call, ${fmtMs(b.wallMs)} ms wall: ${part('matmul', groups.matmul)}` +
      `${matmulRate === null ? '' : ` = ${matmulRate.toFixed(2)} GFLOP/s`}, ${part('attention', groups.attention)}` +
      `${attentionRate === null ? '' : ` = ${attentionRate.toFixed(2)} GFLOP/s`}, ${part('layerNorm', groups.layerNorm)}, ` +
      `${part(`rest (${[...restKernels].join(', ')})`, groups.rest)}, outside kernels ${fmtMs(outside)} ms (${pct(outside, b.wallMs)})`,
    timing: summarize([b.wallMs]),
    sampleStartedAt: [startedAt],
    detail: {
      what: 'GPU ms per kernel from per-dispatch pass timestamps within one (the first, untimed) forward call at this shape',
      wallMs: b.wallMs,
      groupsMs: groups,
      matmulGflops: matmulRate,
      attentionGflops: attentionRate,
      kernels: b.kernels,
      outsideKernelsMs: outside,
      untimedPasses: b.untimedPasses,
      flops,
    },
  };
}

/** Runs every implementation at every shape and returns the rows (failures become rows with the error). */
async function benchModel(
  s: ForwardSession,
  model: string,
  implementations: Implementation[],
  flopsOf: (shape: ForwardShape) => ForwardFlops,
  check: Check,
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const failed = new Map<string, string>();
  const emit = (row: BenchRow) => {
    rows.push(row);
    s.onRow(row);
  };
  for (const impl of implementations) {
    try {
      s.log(`${model}: setting up ${impl.name}`);
      await impl.setUp();
      await impl.prime?.();
    } catch (e) {
      failed.set(impl.name, `set-up: ${errorText(e)}`);
      s.log(`${model}: ${impl.name} set-up failed: ${errorText(e)}`);
    }
  }
  for (const shape of s.plan.shapes) {
    const flops = flopsOf(shape);
    const samples = new Map<string, number[]>(implementations.map((i) => [i.name, []]));
    const starts = new Map<string, string[]>(implementations.map((i) => [i.name, []]));
    const outputs = new Map<string, Float32Array[]>();
    for (const impl of implementations) {
      if (failed.has(impl.name)) continue;
      s.log(`${model} ${shapeLabel(shape)}: ${impl.name}, first call${impl.breakdown ? ' (per-kernel timestamps)' : ''}`);
      try {
        if (impl.breakdown) {
          const startedAt = new Date().toISOString();
          const b = await impl.breakdown(shape);
          emit(breakdownRow(model, shape, flops, b, startedAt));
          if (impl.reps === 0) {
            samples.get(impl.name)!.push(b.wallMs);
            starts.get(impl.name)!.push(startedAt);
            outputs.set(impl.name, b.outputs);
          }
        } else await impl.warmUp(shape);
      } catch (e) {
        failed.set(impl.name, `first call at ${shapeLabel(shape)}: ${errorText(e)}`);
        s.log(`${model}: ${impl.name} failed: ${errorText(e)}`);
      }
      await yieldToEventLoop();
    }
    const rounds = Math.max(...implementations.map((i) => i.reps));
    for (let round = 0; round < rounds; round++) {
      for (const impl of implementations) {
        if (failed.has(impl.name) || round >= impl.reps) continue;
        try {
          const startedAt = new Date().toISOString();
          const { ms, value } = await timeAsync(() => impl.run(shape));
          samples.get(impl.name)!.push(ms);
          starts.get(impl.name)!.push(startedAt);
          outputs.set(impl.name, value);
          s.log(`${model} ${shapeLabel(shape)}: ${impl.name} ${fmtMs(ms)} ms (rep ${round + 1}/${impl.reps})`);
        } catch (e) {
          failed.set(impl.name, `at ${shapeLabel(shape)}: ${errorText(e)}`);
          s.log(`${model}: ${impl.name} failed: ${errorText(e)}`);
        }
        await yieldToEventLoop();
      }
    }
    for (const impl of implementations) {
      const error = failed.get(impl.name);
      const got = outputs.get(impl.name);
      const timing = samples.get(impl.name)!.length ? summarize(samples.get(impl.name)!) : null;
      const agreement = got ? check(impl.name, got, shape, outputs) : null;
      const extra = [impl.reps === 0 ? 'timed call = the per-kernel call (one pass per dispatch), after a 1×8 warm-up' : '', impl.notes()].filter(Boolean).join('; ');
      emit({
        section: 'forward',
        implementation: impl.name,
        table: model,
        shape: shapeLabel(shape),
        batch: shape.batch,
        tokensPerSecond: timing ? perSecond(shape.batch * shape.length, timing.medianMs) : null,
        gflops: timing ? gflopsPerSecond(flops.total, timing.medianMs) : null,
        notes: error ? `FAILED — ${error}` : [timing ? timingNote(timing) : '', agreement?.note ?? '', extra].filter(Boolean).join('; '),
        timing,
        sampleStartedAt: starts.get(impl.name),
        detail: {
          what: 'wall ms per forward call: ids in, outputs read back',
          length: shape.length,
          flops,
          ...(agreement?.detail ?? {}),
          ...(error ? { error } : {}),
        },
        ...(error ? { error } : {}),
      });
    }
  }
  for (const impl of implementations) {
    try {
      impl.tearDown();
    } catch {
      // Tearing down a peer that failed to set up can throw again; its row already has the error.
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------- USE-Lite

const USE_DIM = 512;

function useLiteImplementations(s: ForwardSession, bundle: UseLiteBundle): Implementation[] {
  const { runtime, plan } = s;
  const sentencesOf = (shape: ForwardShape) => corpusBatch(bundle, shape.batch, shape.length);

  let encoder: UseLiteEncoder | null = null;
  const ours: Implementation = {
    name: 'ours (WGSL UseLiteEncoder)',
    reps: plan.useLite.ours,
    async setUp() {
      encoder = await UseLiteEncoder.create(runtime, bundle.weights);
    },
    prime: async () => void (await encoder!.encode([bundle.corpusTokens.slice(0, 8)], 1)),
    warmUp: async (shape) => void (await encoder!.encode(sentencesOf(shape), shape.batch)),
    run: async (shape) => [await encoder!.encode(sentencesOf(shape), shape.batch)],
    async breakdown(shape) {
      const sentences = sentencesOf(shape);
      const { value, kernels, untimedPasses } = await runtime.collect(() => timeAsync(() => encoder!.encode(sentences, shape.batch)));
      return { wallMs: value.ms, kernels, untimedPasses, outputs: [value.value] };
    },
    tearDown: () => encoder?.destroy(),
    notes: () => '',
  };

  let tfPeer: Awaited<ReturnType<typeof openTf>> | null = null;
  let graph: import('@tensorflow/tfjs').GraphModel | null = null;
  const tfRun = async (shape: ForwardShape): Promise<Float32Array> => {
    const tf = tfPeer!.tf;
    const ids = sentencesOf(shape).flat();
    const indices = tf.tensor2d(
      ids.flatMap((_, i) => [Math.floor(i / shape.length), i % shape.length]),
      [ids.length, 2],
      'int32',
    );
    const values = tf.tensor1d(ids, 'int32');
    try {
      const out = (await graph!.executeAsync({ indices, values })) as import('@tensorflow/tfjs').Tensor;
      const data = new Float32Array(await out.data());
      out.dispose();
      return data;
    } finally {
      tf.dispose([indices, values]);
    }
  };
  const tfImpl: Implementation = {
    name: 'TF.js webgpu (USE-Lite graph)',
    reps: plan.useLite.tf,
    async setUp() {
      tfPeer = await openTf();
      const { tf } = tfPeer;
      const { modelJson, weightData } = bundle.graph;
      graph = await tf.loadGraphModel(
        tf.io.fromMemory({
          modelTopology: modelJson.modelTopology as import('@tensorflow/tfjs').io.ModelJSON['modelTopology'],
          weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights) as import('@tensorflow/tfjs').io.WeightsManifestEntry[],
          weightData,
        }),
      );
    },
    warmUp: async (shape) => void (await tfRun(shape)),
    run: async (shape) => [await tfRun(shape)],
    tearDown: () => graph?.dispose(),
    notes: () => {
      const n = [...(tfPeer?.adjustments ?? [])];
      if (tfPeer?.errors.length) n.push(`device errors: ${tfPeer.errors.join('; ')}`);
      return n.join('; ');
    },
  };

  let jaxPeer: Awaited<ReturnType<typeof openJax>> | null = null;
  let jaxModel: ReturnType<typeof jaxUseLite> | null = null;
  const jaxRun = (shape: ForwardShape) => jaxModel!.encode(Int32Array.from(sentencesOf(shape).flat()), shape.batch, shape.length);
  const jaxImpl: Implementation = {
    name: 'jax-js (jit)',
    reps: plan.useLite.jax,
    async setUp() {
      jaxPeer = await openJax();
      jaxModel = jaxUseLite(jaxPeer.jax, bundle.weights);
    },
    warmUp: async (shape) => void (await jaxRun(shape)),
    run: async (shape) => [await jaxRun(shape)],
    tearDown: () => jaxModel?.dispose(),
    notes: () => (jaxPeer?.errors.length ? `device errors: ${jaxPeer.errors.join('; ')}` : ''),
  };
  return [ours, tfImpl, jaxImpl];
}

export async function benchUseLiteForward(s: ForwardSession): Promise<{ rows: BenchRow[]; model: BenchModelInfo }> {
  const { plan } = s;
  const tokens = Math.max(...plan.shapes.map((x) => x.batch * x.length));
  s.log('use-lite: loading weights, graph and corpus tokens');
  const bundle = await loadUseLiteBundle(tokens);
  const w = bundle.weights;
  const references = new Map<string, Float64Array[]>();
  for (const shape of plan.shapes) {
    const sentences = corpusBatch(bundle, shape.batch, shape.length).slice(0, plan.useLite.referenceSentences);
    references.set(shapeLabel(shape), sentences.map((ids) => useLiteReferenceEncode(w, ids)));
    await yieldToEventLoop();
  }
  const ours = 'ours (WGSL UseLiteEncoder)';
  const check: Check = (name, [vectors], shape, all) => {
    const refs = references.get(shapeLabel(shape))!;
    const head = vectors.subarray(0, refs.length * USE_DIM);
    const reference = Float64Array.from(refs.flatMap((r) => [...r]));
    const vsRef = maxAbsDiff(head, reference);
    const cosRef = minRowCosine(head, reference, USE_DIM);
    const oursOut = all.get(ours)?.[0];
    const vsOurs = name !== ours && oursOut ? maxAbsDiff(vectors, oursOut) : null;
    return {
      note:
        `vs f64 reference (${refs.length} sentence${refs.length === 1 ? '' : 's'}): max |Δ| ${vsRef.toExponential(1)}, min cos ${cosRef.toFixed(6)}` +
        (vsOurs === null ? '' : `; vs ours (${shape.batch} sentences) max |Δ| ${vsOurs.toExponential(1)}`),
      detail: { referenceSentences: refs.length, maxAbsDiffVsReference: vsRef, minCosineVsReference: cosRef, maxAbsDiffVsOurs: vsOurs },
    };
  };
  const rows = await benchModel(s, 'use-lite', useLiteImplementations(s, bundle), (shape) => useLiteFlops(w, shape.batch, shape.length), check);
  return {
    rows,
    model: {
      name: 'use-lite',
      source: 'bundled Universal Sentence Encoder Lite (8002×256 embeddings, 2 layers 256→512, 4 heads); inputs: windows of consecutive demo-corpus tokens',
      parameters: useLiteParameterCount(w),
      flops: FLOP_COUNTING,
    },
  };
}

// ------------------------------------------------------------------------------------------ BERT-base

function bertImplementations(s: ForwardSession, config: BertConfig, weights: ReturnType<typeof randomBertWeights>): Implementation[] {
  const { runtime, plan, seed } = s;
  const idsOf = (shape: ForwardShape) => randomBertIds(config, shape.batch, shape.length, seed);

  let encoder: BertEncoder | null = null;
  const oursRun = async (shape: ForwardShape) => {
    const out = await encoder!.forward(idsOf(shape));
    if (out.seqLen !== shape.length) throw new Error(`BertEncoder padded ${shape.length} tokens to ${out.seqLen}`);
    return [out.hidden, out.meanPooled];
  };
  const ours: Implementation = {
    name: 'ours (WGSL BertEncoder)',
    reps: plan.bert.ours,
    async setUp() {
      encoder = await BertEncoder.create(runtime, weights);
    },
    prime: async () => void (await encoder!.forward(randomBertIds(config, 1, 8, seed))),
    warmUp: async (shape) => void (await oursRun(shape)),
    run: oursRun,
    async breakdown(shape) {
      const ids = idsOf(shape);
      const { value, kernels, untimedPasses } = await runtime.collect(() => timeAsync(() => encoder!.forward(ids)));
      return { wallMs: value.ms, kernels, untimedPasses, outputs: [value.value.hidden, value.value.meanPooled] };
    },
    tearDown: () => encoder?.destroy(),
    notes: () => '',
  };

  let jaxPeer: Awaited<ReturnType<typeof openJax>> | null = null;
  let model: ReturnType<typeof jaxBert> | null = null;
  const jaxRun = async (shape: ForwardShape, layers?: number) => {
    const out = await model!.forward(Int32Array.from(idsOf(shape).flat()), shape.batch, shape.length, layers);
    return [out.hidden, out.meanPooled];
  };
  const jaxImpl: Implementation = {
    name: 'jax-js (jit)',
    reps: plan.bert.jax,
    async setUp() {
      jaxPeer = await openJax();
      model = jaxBert(jaxPeer.jax, weights);
    },
    // Embeddings, one layer and the pool: every kernel the full forward uses, at this shape.
    warmUp: async (shape) => void (await jaxRun(shape, 1)),
    run: (shape) => jaxRun(shape),
    tearDown: () => model?.dispose(),
    notes: () => [`warm-up: embeddings + 1 layer + pool`, ...(jaxPeer?.errors.length ? [`device errors: ${jaxPeer.errors.join('; ')}`] : [])].join('; '),
  };
  return [ours, jaxImpl];
}

export async function benchBertForward(s: ForwardSession): Promise<{ rows: BenchRow[]; model: BenchModelInfo }> {
  const config = bertBaseConfig(s.plan.bert.layers);
  s.log(`bert-base: drawing ${config.numHiddenLayers}-layer random weights`);
  const { ms, value: weights } = await timeAsync(async () => randomBertWeights(config, s.seed));
  s.log(`bert-base: ${(weights.parameterCount / 1e6).toFixed(1)} M parameters drawn in ${fmtMs(ms)} ms`);
  const name = `bert-base ${config.numHiddenLayers}L random`;
  const ours = 'ours (WGSL BertEncoder)';
  const check: Check = (impl, [hidden, pooled], _shape, all) => {
    const o = all.get(ours);
    if (impl === ours || !o) return { note: '', detail: {} };
    const dh = maxAbsDiff(hidden, o[0]);
    const dp = maxAbsDiff(pooled, o[1]);
    return {
      note: `vs ours: hidden states max |Δ| ${dh.toExponential(1)}, mean pool ${dp.toExponential(1)}`,
      detail: { maxAbsDiffHiddenVsOurs: dh, maxAbsDiffPooledVsOurs: dp },
    };
  };
  const rows = await benchModel(s, name, bertImplementations(s, config, weights), (shape) => bertFlops(config, shape.batch, shape.length), check);
  return {
    rows,
    model: {
      name,
      source:
        `BERT-base shape (vocab 30522, hidden 768, 12 heads, FFN 3072, GELU, post-LN) with ${config.numHiddenLayers} layers; ` +
        `seeded uniform random weights (std 0.02, Philox seed ${s.seed}); inputs [CLS] random word pieces [SEP]`,
      parameters: weights.parameterCount,
      flops: FLOP_COUNTING,
    },
  };
}
