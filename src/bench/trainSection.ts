// The train section: one prompt-tuning / RAPT training step on the bundled USE-Lite encoder (forward through
// the frozen encoder, backward to the soft prompt and the heads, global-norm clip, AdamW), by
//   ours     UseLiteTrainer (src/training/useLiteTrainer.ts) on this page's device
//   jax-js   jit + valueAndGrad (training/jaxTrainStep.ts)
//   TF.js    tf.variableGrads on the webgpu backend (training/tfjsTrainStep.ts)
// at the demo's settings (training/trainCases.ts TRAIN_STEP_CASES), each case with the same initial
// trainables (formulaTrainables: the PyTorch fixture's formulas, P_j = 2·E[id_j] for the corpus's first N
// distinct ids), the same batches (trainCaseBatch 0, 1, 2, … of the demo corpus) and the same AdamW settings
// and learning rates. Per case: ours, then jax-js, then TF.js, each set up, measured and disposed before the
// next (a TF.js step costs ~100 s on SwiftShader; nothing runs concurrently).
//
// Timing (wall, performance.now()):
//   ours   step() encodes one submit and returns once it is queued, so each timed step is
//          `await step(); await readMetrics()` — readMetrics copies 8 floats back and resolves only when
//          the GPU has run the step (mapAsync). That is the same work the peers' step() does before it
//          resolves (their losses are read back every step). Then `queued` steps back to back with one
//          readMetrics() at the end (how the training loop runs, reading metrics every few steps): total / K
//          per step. Then forward-only calls, trainer.predict on batch 0 (forward of both heads, predictions
//          and per-example losses read back), for the backward/forward ratio.
//          Its first (untimed) step runs with per-dispatch GPU timestamps where the adapter has them
//          (gpuTimer.ts TimedRuntime.collect) and becomes the "per kernel" row: GPU time by kernel family,
//          matmuls split into forward, dX = dY·Wᵀ and dW = Xᵀ·dY by the pipeline's TRANSPOSE_* constants.
//   peers  measureTrainStep: one untimed step, then `reps` timed steps, each resolving with its losses.
// Agreement: the first step's losses (batch 0 from identical parameters) of each peer against ours, and the
// losses of the later steps they have in common (same batches, same updates), as max relative differences.

import { UseLiteEncoder } from '../model/useLite/useLiteEncoder';
import { UseLiteTrainer } from '../training/useLiteTrainer';
import type { PassTime, TimedRuntime } from './gpuTimer';
import { loadUseLiteBundle } from './models';
import { errorText, openJax, openTf } from './peers';
import { fmtMs, pct, timingNote } from './rows';
import { gflopsPerSecond, perSecond, summarize, timeAsync, yieldToEventLoop, type Stats } from './timing';
import { createJaxTrainStep } from './training/jaxTrainStep';
import { createTfTrainStep } from './training/tfjsTrainStep';
import { caseFlops, measureTrainStep, trainCaseBatch, TRAIN_STEP_CASES, type TrainStepCase } from './training/trainCases';
import {
  lossesFromMetrics,
  maxRelLossDiff,
  promptInitIds,
  trainerBatchOf,
  trainerOptimizerOf,
  trainerPaddedLength,
  trainerParamsOf,
  trainerShapeOf,
} from './training/trainerAdapter';
import { TRAIN_FLOP_COUNTING, type TrainStepFlops } from './training/trainFlops';
import { formulaTrainables, type StepLosses, type Trainables, type TrainStepPeer } from './training/trainStepSetup';
import type { BenchRow, BenchTrainInfo, TrainPlan } from './types';

export interface TrainSession {
  runtime: TimedRuntime;
  plan: TrainPlan;
  log(message: string): void;
  /** Called with each finished row (progress and finishedAt). */
  onRow(row: BenchRow): void;
}

export const OURS_TRAIN = 'ours (WGSL UseLiteTrainer)';

/** Corpus tokens loaded for the batches (trainCaseBatch wraps around; more only varies the texts). */
const CORPUS_TOKENS = 8192;

export const TRAIN_TIMING =
  'wall time (performance.now()). Ours: step() only queues the GPU work, so each timed step is step() + await ' +
  'readMetrics() (8 floats copied back; resolves when the GPU has run the step); the "queued" row runs K steps back to ' +
  'back and one readMetrics() at the end (as the training loop does) and divides by K; the "forward only" row times ' +
  'trainer.predict on batch 0. Ours\' untimed first step runs with per-dispatch GPU timestamps (the "per kernel" row). ' +
  'jax-js and TF.js: each step resolves once its two losses are read back. Every implementation takes one untimed ' +
  'first step (compilation, allocation) before its timed steps';

const shapeOf = (c: TrainStepCase) => `${c.batch}×${c.length}`;
const rowsPerSecond = (c: TrainStepCase, ms: number) => perSecond(c.batch * c.length, ms);
const rapt = (c: TrainStepCase) => c.opts.plainTokens > 0;

function lossText(l: StepLosses, withRec: boolean): string {
  return withRec ? `task ${l.lossTask.toFixed(6)}, rec ${l.lossRec.toFixed(6)}` : `task ${l.lossTask.toFixed(6)}`;
}

/** A row of the train section; `firstStep` only where the row's implementation took the compared first step. */
function trainRow(
  c: TrainStepCase,
  implementation: string,
  fields: { timing: Stats | null; flops: number; notes: string; detail: Record<string, unknown>; sampleStartedAt?: string[]; error?: string; firstStep?: BenchRow['firstStep'] },
): BenchRow {
  const { timing } = fields;
  return {
    section: 'train',
    implementation,
    table: c.name,
    shape: shapeOf(c),
    batch: c.batch,
    tokensPerSecond: timing ? rowsPerSecond(c, timing.medianMs) : null,
    gflops: timing ? gflopsPerSecond(fields.flops, timing.medianMs) : null,
    notes: fields.error ? `FAILED — ${fields.error}` : fields.notes,
    timing,
    detail: { ...fields.detail, ...(timing ? { examplesPerSecond: perSecond(c.batch, timing.medianMs) } : {}), ...(fields.error ? { error: fields.error } : {}) },
    ...(fields.sampleStartedAt ? { sampleStartedAt: fields.sampleStartedAt } : {}),
    ...(fields.firstStep ? { firstStep: fields.firstStep } : {}),
    ...(fields.error ? { error: fields.error } : {}),
  };
}

// ------------------------------------------------------------------------------------ per-kernel split

const KERNEL_GROUPS = ['matmul forward', 'matmul dX = dY·Wᵀ', 'matmul dW = Xᵀ·dY', 'attention', 'attention backward', 'layerNorm', 'layerNorm backward', 'clip + AdamW', 'rest'] as const;
type KernelGroup = (typeof KERNEL_GROUPS)[number];

/** A pass's group from its pipeline label "<path>.wgsl#<entry>#<constants JSON>" (runtime.pipeline's key). */
export function trainKernelGroup(label: string): KernelGroup {
  const [path, , constantsJson] = label.split('#');
  const file = path.slice(path.lastIndexOf('/') + 1).replace(/\.wgsl$/, '');
  if (file.startsWith('matmul')) {
    let constants: Record<string, number> = {};
    try {
      constants = JSON.parse(constantsJson ?? '{}') as Record<string, number>;
    } catch {
      // A label without constants: a forward matmul.
    }
    if (constants.TRANSPOSE_B === 1) return 'matmul dX = dY·Wᵀ';
    if (constants.TRANSPOSE_A === 1) return 'matmul dW = Xᵀ·dY';
    return 'matmul forward';
  }
  if (file.startsWith('attentionBackward')) return 'attention backward';
  if (file.startsWith('attention')) return 'attention';
  if (file === 'layerNormBackward') return 'layerNorm backward';
  if (file === 'layerNorm') return 'layerNorm';
  if (file === 'adamW' || file === 'globalNorm') return 'clip + AdamW';
  return 'rest';
}

function breakdownRow(c: TrainStepCase, flops: TrainStepFlops, wallMs: number, passes: PassTime[], untimedPasses: number, startedAt: string): BenchRow {
  const groups = Object.fromEntries(KERNEL_GROUPS.map((g) => [g, 0])) as Record<KernelGroup, number>;
  const rest = new Set<string>();
  for (const p of passes) {
    const g = trainKernelGroup(p.label);
    groups[g] += p.gpuMs;
    if (g === 'rest') rest.add(p.label.split('#')[0].replace(/^.*\//, '').replace(/\.wgsl$/, ''));
  }
  const gpuMs = KERNEL_GROUPS.reduce((s, g) => s + groups[g], 0);
  const outside = Math.max(0, wallMs - gpuMs);
  const parts = KERNEL_GROUPS.filter((g) => groups[g] > 0).map((g) => `${g === 'rest' ? `rest (${[...rest].join(', ')})` : g} ${fmtMs(groups[g])} ms (${pct(groups[g], wallMs)})`);
  return trainRow(c, 'ours, per kernel (timestamps)', {
    timing: summarize([wallMs]),
    flops: flops.total,
    sampleStartedAt: [startedAt],
    notes:
      `first step, ${fmtMs(wallMs)} ms wall, ${passes.length} timed passes${untimedPasses ? ` (+${untimedPasses} untimed)` : ''}: ${parts.join(', ')}, ` +
      `outside kernels ${fmtMs(outside)} ms (${pct(outside, wallMs)}: building this shape's plan and any other first-use cost)`,
    detail: {
      what: 'GPU ms per kernel family from per-dispatch pass timestamps within ours\' first (untimed) step at this shape',
      wallMs,
      groupsMs: groups,
      passes,
      untimedPasses,
      outsideKernelsMs: outside,
      flops,
    },
  });
}

// ---------------------------------------------------------------------------------------------- ours

interface OursResult {
  rows: BenchRow[];
  firstLosses: StepLosses | null;
  /** Losses of the awaited timed steps 1..reps (batches 1..reps). */
  stepLosses: StepLosses[];
}

async function benchOurs(
  s: TrainSession,
  encoder: UseLiteEncoder,
  c: TrainStepCase,
  init: Trainables,
  corpusTokens: readonly number[],
): Promise<OursResult> {
  const { runtime, plan } = s;
  const o = c.opts;
  const a = o.adamW;
  const rows: BenchRow[] = [];
  const batchOf = (index: number) => trainerBatchOf(trainCaseBatch(c, corpusTokens, index), o);
  const flops = caseFlops(c, trainCaseBatch(c, corpusTokens, 0));
  const withRec = rapt(c);
  let trainer: UseLiteTrainer | null = null;
  let firstLosses: StepLosses | null = null;
  const stepLosses: StepLosses[] = [];
  let stage = 'set-up';
  try {
    trainer = await UseLiteTrainer.create(runtime, encoder.weights, encoder.deviceWeights, trainerShapeOf(o), trainerParamsOf(init), trainerOptimizerOf(a));
    const t = trainer;
    const batch0 = batchOf(0);
    const padded = trainerPaddedLength(batch0, o, encoder.weights.maxPositions);
    if (padded !== c.length) throw new Error(`the trainer would pad ${c.name} to ${padded} rows, not ${c.length}`);
    const awaitedStep = async (batch: ReturnType<typeof batchOf>) => {
      await t.step(batch, a.lr, a.promptLr);
      return t.readMetrics();
    };

    stage = 'first step';
    s.log(`${c.name}: ours, first step${runtime.hasTimestamps ? ' (per-dispatch timestamps)' : ''}`);
    const firstAt = new Date().toISOString();
    const first = await runtime.collect(() => timeAsync(() => awaitedStep(batch0)));
    firstLosses = lossesFromMetrics(first.value.value, c.batch, o.plainTokens);
    const firstMs = first.value.ms;
    s.log(`${c.name}: ours first step ${fmtMs(firstMs)} ms, ${lossText(firstLosses, withRec)}`);
    const breakdown = runtime.hasTimestamps ? breakdownRow(c, flops, firstMs, first.passes, first.untimedPasses, firstAt) : null;

    stage = 'timed steps';
    const samples: number[] = [];
    const starts: string[] = [];
    for (let r = 1; r <= plan.ours.reps; r++) {
      const batch = batchOf(r);
      await yieldToEventLoop();
      starts.push(new Date().toISOString());
      const { ms, value } = await timeAsync(() => awaitedStep(batch));
      samples.push(ms);
      stepLosses.push(lossesFromMetrics(value, c.batch, o.plainTokens));
      s.log(`${c.name}: ours step ${r}/${plan.ours.reps} ${fmtMs(ms)} ms`);
    }
    const timing = samples.length ? summarize(samples) : null;

    let queued: { ms: number; steps: number; startedAt: string; losses: StepLosses } | null = null;
    if (plan.ours.queued > 0) {
      stage = 'queued steps';
      const batches = Array.from({ length: plan.ours.queued }, (_, q) => batchOf(plan.ours.reps + 1 + q));
      await runtime.device.queue.onSubmittedWorkDone();
      await yieldToEventLoop();
      const startedAt = new Date().toISOString();
      const { ms, value } = await timeAsync(async () => {
        for (const batch of batches) await t.step(batch, a.lr, a.promptLr);
        return t.readMetrics();
      });
      queued = { ms, steps: batches.length, startedAt, losses: lossesFromMetrics(value, c.batch, o.plainTokens, batches.length) };
      s.log(`${c.name}: ours ${batches.length} queued steps ${fmtMs(ms)} ms`);
    }

    let forward: Stats | null = null;
    const forwardStarts: string[] = [];
    if (plan.ours.forward > 0) {
      stage = 'forward only';
      await t.predict(batch0);
      const fs: number[] = [];
      for (let r = 0; r < plan.ours.forward; r++) {
        await yieldToEventLoop();
        forwardStarts.push(new Date().toISOString());
        fs.push((await timeAsync(() => t.predict(batch0))).ms);
      }
      forward = summarize(fs);
      s.log(`${c.name}: ours forward only, median ${fmtMs(forward.medianMs)} ms`);
    }

    const ratio = timing && forward ? timing.medianMs / forward.medianMs : null;
    rows.push(
      trainRow(c, OURS_TRAIN, {
        timing,
        flops: flops.total,
        sampleStartedAt: starts,
        firstStep: { lossTask: firstLosses.lossTask, lossRec: withRec ? firstLosses.lossRec : null, maxRelDiffVsOurs: null },
        notes: [
          timing ? `${timingNote(timing)}, each step() + await readMetrics()` : 'no timed steps',
          `first step ${fmtMs(firstMs)} ms${runtime.hasTimestamps ? ' (one pass per dispatch)' : ''}`,
          ratio === null ? '' : `step / forward ${ratio.toFixed(2)}`,
          flops.usefulRowFraction === null ? '' : `${pct(flops.usefulRowFraction, 1)} of the padded rows are real tokens`,
        ]
          .filter(Boolean)
          .join('; '),
        detail: {
          what: 'wall ms per training step: step() then await readMetrics() (waits for the GPU, reads 8 floats)',
          firstStepMs: firstMs,
          firstLosses,
          losses: stepLosses,
          flops,
          optimizer: a,
        },
      }),
    );
    if (queued) {
      const perStep = queued.ms / queued.steps;
      rows.push(
        trainRow(c, `ours, ${queued.steps} steps queued + 1 readMetrics`, {
          timing: summarize([perStep]),
          flops: flops.total,
          sampleStartedAt: [queued.startedAt],
          notes:
            `${queued.steps} steps in ${fmtMs(queued.ms)} ms = ${fmtMs(perStep)} ms per step` +
            (timing ? ` (${pct(perStep, timing.medianMs)} of an awaited step)` : '') +
            `; mean losses over them: ${lossText(queued.losses, withRec)}`,
          detail: {
            what: `${queued.steps} steps queued back to back (batches ${plan.ours.reps + 1}..${plan.ours.reps + queued.steps}), one readMetrics() at the end; timing is total / steps (one sample)`,
            totalMs: queued.ms,
            steps: queued.steps,
            meanLosses: queued.losses,
            flops,
          },
        }),
      );
    }
    if (forward) {
      rows.push(
        trainRow(c, 'ours, forward only (trainer.predict)', {
          timing: forward,
          flops: flops.forward.total,
          sampleStartedAt: forwardStarts,
          notes:
            `${timingNote(forward)}; GFLOP/s over the forward FLOPs (${(flops.forward.total / 1e9).toFixed(2)} GFLOP)` +
            (ratio === null ? '' : `; an awaited step costs ${ratio.toFixed(2)} forwards (backward + update ≈ ${(ratio - 1).toFixed(2)})`),
          detail: {
            what: 'wall ms per trainer.predict on batch 0: forward through both heads, predictions and per-example task losses read back',
            forwardFlops: flops.forward,
            stepOverForward: ratio,
          },
        }),
      );
    }
    if (breakdown) rows.push(breakdown);
  } catch (e) {
    const error = `${stage}: ${errorText(e)}`;
    s.log(`${c.name}: ours failed: ${error}`);
    rows.push(trainRow(c, OURS_TRAIN, { timing: null, flops: flops.total, notes: '', detail: {}, error }));
  } finally {
    trainer?.destroy();
  }
  return { rows, firstLosses, stepLosses };
}

// --------------------------------------------------------------------------------------------- peers

interface PeerSpec {
  /** For the row when set-up fails before the peer has a name. */
  fallbackName: string;
  reps: number;
  make(c: TrainStepCase, init: Trainables): Promise<TrainStepPeer>;
  /** Device errors and page-level adjustments, read after the case. */
  notes(): string[];
  /** Log line after dispose (e.g. TF.js's remaining tensors). */
  afterDispose?(): string;
}

/**
 * One peer on one case. The step's own adjustments (e.g. TF.js's split-K flag) go to `adjustments` (printed
 * once in the section's header) and the row's detail, not into every row's notes.
 */
async function benchPeer(
  s: TrainSession,
  spec: PeerSpec,
  c: TrainStepCase,
  init: Trainables,
  corpusTokens: readonly number[],
  ours: OursResult,
  adjustments: Set<string>,
): Promise<BenchRow> {
  const flops = caseFlops(c, trainCaseBatch(c, corpusTokens, 0));
  const withRec = rapt(c);
  let peer: TrainStepPeer | null = null;
  let stage = 'set-up';
  try {
    s.log(`${c.name}: setting up ${spec.fallbackName}`);
    peer = await spec.make(c, init);
    stage = 'steps';
    const name = peer.name;
    const m = await measureTrainStep(peer, c, corpusTokens, spec.reps, (step, ms, losses) =>
      s.log(`${c.name}: ${name} ${step === 0 ? 'first step' : `step ${step}/${spec.reps}`} ${fmtMs(ms)} ms, ${lossText(losses, withRec)}`),
    );
    for (const a of m.adjustments) adjustments.add(`${name}: ${a}`);
    const vsOurs = ours.firstLosses ? maxRelLossDiff(m.firstLosses, ours.firstLosses, withRec) : null;
    const common = Math.min(m.losses.length, ours.stepLosses.length);
    const laterVsOurs = common > 0 ? Math.max(...m.losses.slice(0, common).map((l, i) => maxRelLossDiff(l, ours.stepLosses[i], withRec))) : null;
    return trainRow(c, name, {
      timing: m.timing,
      flops: flops.total,
      sampleStartedAt: m.sampleStartedAt,
      firstStep: { lossTask: m.firstLosses.lossTask, lossRec: withRec ? m.firstLosses.lossRec : null, maxRelDiffVsOurs: vsOurs },
      notes: [
        timingNote(m.timing),
        `first step ${fmtMs(m.firstStepMs)} ms (compilation included)`,
        laterVsOurs === null ? '' : `losses of step${common === 1 ? ' 1' : `s 1–${common}`} vs ours: max rel Δ ${laterVsOurs.toExponential(1)}`,
        m.adjustments.length ? 'adjusted (see the section header)' : '',
        ...spec.notes(),
      ]
        .filter(Boolean)
        .join('; '),
      detail: {
        what: 'wall ms per training step, resolving once its two losses are read back',
        firstStepMs: m.firstStepMs,
        firstLosses: m.firstLosses,
        losses: m.losses,
        laterLossesMaxRelDiffVsOurs: laterVsOurs,
        flops: m.flops,
        adjustments: m.adjustments,
      },
    });
  } catch (e) {
    const error = `${stage}: ${errorText(e)}`;
    s.log(`${c.name}: ${peer?.name ?? spec.fallbackName} failed: ${error}`);
    return trainRow(c, peer?.name ?? spec.fallbackName, { timing: null, flops: flops.total, notes: '', detail: { notes: spec.notes() }, error });
  } finally {
    try {
      peer?.dispose();
      const after = spec.afterDispose?.();
      if (after) s.log(`${c.name}: ${after}`);
    } catch (e) {
      s.log(`${c.name}: disposing ${spec.fallbackName} failed: ${errorText(e)}`);
    }
  }
}

// --------------------------------------------------------------------------------------------- section

export function trainCasesOf(plan: TrainPlan): TrainStepCase[] {
  return plan.cases.map((name) => {
    const c = TRAIN_STEP_CASES.find((x) => x.name === name);
    if (!c) throw new Error(`unknown training case '${name}' (known: ${TRAIN_STEP_CASES.map((x) => x.name).join(', ')})`);
    return c;
  });
}

export async function benchTrain(s: TrainSession): Promise<{ rows: BenchRow[]; info: BenchTrainInfo }> {
  const cases = trainCasesOf(s.plan);
  s.log('train: loading USE-Lite weights and corpus tokens');
  const bundle = await loadUseLiteBundle(CORPUS_TOKENS);
  const w = bundle.weights;
  const rows: BenchRow[] = [];
  const emit = (row: BenchRow) => {
    rows.push(row);
    s.onRow(row);
  };

  let tfErrors: string[] = [];
  let jaxErrors: string[] = [];
  const weights = w;
  const jaxSpec: PeerSpec = {
    fallbackName: 'jax-js (jit + valueAndGrad, webgpu)',
    reps: s.plan.jax,
    async make(c, init) {
      const peer = await openJax();
      jaxErrors = peer.errors;
      return createJaxTrainStep(peer.jax, { opts: c.opts, weights, init });
    },
    notes: () => (jaxErrors.length ? [`device errors: ${jaxErrors.join('; ')}`] : []),
  };
  let tf: Awaited<ReturnType<typeof openTf>>['tf'] | null = null;
  const tfSpec: PeerSpec = {
    fallbackName: 'TF.js webgpu (variableGrads)',
    reps: s.plan.tf,
    async make(c, init) {
      const peer = await openTf();
      tf = peer.tf;
      tfErrors = peer.errors;
      return createTfTrainStep(peer.tf, { opts: c.opts, weights, init });
    },
    // The page-level adjustment (peers.ts keepCpuCopies) is printed once in the report's header.
    notes: () => (tfErrors.length ? [`device errors: ${tfErrors.join('; ')}`] : []),
    afterDispose: () => {
      if (!tf) return '';
      const m = tf.memory();
      return `TF.js after dispose: ${m.numTensors} tensors, ${(m.numBytes / 1e6).toFixed(1)} MB`;
    },
  };

  const adjustments = new Set<string>();
  const encoder = await UseLiteEncoder.create(s.runtime, w);
  try {
    for (const c of cases) {
      const init = formulaTrainables(w, c.opts, promptInitIds(bundle.corpusTokens, c.opts.promptTokens));
      s.log(`train ${c.name} (${c.why}); ${(caseFlops(c).total / 1e9).toFixed(1)} GFLOP per step`);
      const ours = await benchOurs(s, encoder, c, init, bundle.corpusTokens);
      ours.rows.forEach(emit);
      await yieldToEventLoop();
      emit(await benchPeer(s, jaxSpec, c, init, bundle.corpusTokens, ours, adjustments));
      await yieldToEventLoop();
      emit(await benchPeer(s, tfSpec, c, init, bundle.corpusTokens, ours, adjustments));
      await yieldToEventLoop();
    }
  } finally {
    encoder.destroy();
  }

  return {
    rows,
    info: {
      model: 'bundled USE-Lite (2 frozen layers 256→512, 4 heads), demo-corpus batches (training/trainCases.ts trainCaseBatch)',
      cases: cases.map((c) => ({
        name: c.name,
        batch: c.batch,
        length: c.length,
        promptTokens: c.opts.promptTokens,
        plainTokens: c.opts.plainTokens,
        classes: c.opts.classes,
        reconVocab: c.opts.reconVocab,
        reconRank: c.opts.reconRank,
        lambda: c.opts.lambda,
        why: c.why,
      })),
      optimizer: { ...(cases[0]?.opts.adamW ?? {}) },
      init:
        'identical for every implementation: the PyTorch fixture\'s formulas (trainStepSetup.ts formulaTrainables), soft prompt ' +
        'P_j = 2·E[id_j] for the corpus\'s first N distinct token ids; AdamW moments zero',
      timing: TRAIN_TIMING,
      flops: TRAIN_FLOP_COUNTING,
      adjustments: [...adjustments],
    },
  };
}
