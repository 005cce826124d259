// One training request in the engine worker, with RAPT's user/service boundary in the middle:
//
//   USER side  (rapt/userSide.ts)     raw labelled text → tokens → [plain; text] privatised at η → ids only
//   ───────── toService (rapt/serviceSide.ts): only privatised ids, labels and public plain targets cross ─────────
//   SERVICE side (trainLoop.ts)       prompt tuning / RAPT on those ids; evaluation on the privatised dev set
//
// Conditions (rapt-method.md §5): clean prompt tuning and the linear probe train on clean text (η = ∞ — the
// user side then sends the tokens unchanged); prompt tuning and RAPT train and evaluate on privatised text.
// The linear probe is prompt tuning with no prompt (N = 0): only the task head on the frozen features.
// At inference RAPT's plain tokens stay in front of the privatised query (the model was tuned with them
// there); the reconstruction head is simply not used.

import type { GpuRuntime } from '../gpu/runtime';
import type { BertEncoder } from '../model/bert/bertEncoder';
import type { LoadedModel } from '../model/loadedModel';
import type { UseLiteEncoder } from '../model/useLite/useLiteEncoder';
import { initialSoftPrompt, softPromptInitIds } from '../peft/softPrompt';
import type { Privatizer } from '../privacy/privatize';
import { PhiloxStream } from '../privacy/random/philox';
import { StreamPurpose } from '../privacy/random/streams';
import { candidateIdsOf, choosePlainTokens } from '../rapt/plainTokens';
import { toService } from '../rapt/serviceSide';
import { privatizeLabelledExamples, type PlainTokenOption } from '../rapt/userSide';
import { PRIVATISED_CONDITIONS } from '../experiments/trainingSchema';
import { trainLoop } from './trainLoop';
import type { TrainCheckpoint, TrainProgress, TrainRequest, TrainResult } from './trainTypes';
import { DEFAULT_OPTIMIZER, paramSizes, UseLiteTrainer, type TrainableParams, type TrainerShape } from './useLiteTrainer';

export interface TrainContext {
  runtime: GpuRuntime;
  model: LoadedModel;
  privatizer: Privatizer;
  /** The loaded USE-Lite encoder (its weights are shared with training); null for other architectures. */
  encoder: UseLiteEncoder | null;
  /** The loaded BERT-family encoder, shared likewise; absent or null: trainBertCondition creates one for the run. */
  bert?: BertEncoder | null;
}

export interface TrainHooks {
  onProgress?: (p: TrainProgress) => void;
  onCheckpoint?: (c: TrainCheckpoint) => void | Promise<void>;
  cancelled?: () => boolean;
}

/** Initial task and reconstruction heads: task head zero (an untrained classifier says 50/50), RAPT's W2, W1 ~ N(0, 1/fan_in). */
export function initialHeads(seed: number, hidden: number, shape: TrainerShape): Omit<TrainableParams, 'prompt'> {
  const stream = new PhiloxStream(seed, StreamPurpose.headInit);
  const normal = (n: number, std: number) => Float32Array.from({ length: n }, () => std * stream.nextNormal());
  const rec = shape.plainLength > 0;
  return {
    taskW: new Float32Array(hidden * shape.classes),
    taskB: new Float32Array(shape.classes),
    recW2: rec ? normal(hidden * shape.reconstructionWidth, 1 / Math.sqrt(hidden)) : new Float32Array(0),
    recW1: rec ? normal(shape.reconstructionWidth * shape.targetVocab, 1 / Math.sqrt(shape.reconstructionWidth)) : new Float32Array(0),
  };
}

export async function trainCondition(ctx: TrainContext, req: TrainRequest, hooks: TrainHooks = {}): Promise<TrainResult> {
  const { model, privatizer } = ctx;
  if (model.architecture.kind === 'bert') {
    // BERT-family models: trainBertCondition.ts (BertTrainer), loaded on demand; it trains on the loaded
    // encoder's weights (ctx.bert), or on an encoder of its own for the run when none is given.
    const { trainBertCondition } = await import('./trainBertCondition');
    return trainBertCondition({ runtime: ctx.runtime, model, privatizer, encoder: ctx.bert ?? null }, req, hooks);
  }
  if (req.head === 'verbaliser') throw new Error('The verbaliser head needs a masked-LM checkpoint (BERT family); the bundled USE-Lite encoder has no MLM head. Use the classifier head.');
  if (model.architecture.kind !== 'use-lite' || !ctx.encoder) {
    throw new Error('Training needs the loaded model\'s encoder on the GPU; load the model again in the Models panel.');
  }
  const weights = model.architecture.weights;
  const classes = req.labelNames.length;
  if (classes < 2) throw new Error(`A classifier needs at least two labels; the data has ${classes}.`);
  const privatised = PRIVATISED_CONDITIONS.includes(req.condition);
  const eta = privatised ? req.eta : Infinity;
  const isRapt = req.condition === 'rapt' || req.condition === 'rapt-per-example';
  const promptLength = req.condition === 'linear-probe' ? 0 : req.promptLength;
  // |T| defaults to the candidate ids' range (USE-Lite: 8000; rows 8000–8001 are never produced by the tokenizer).
  const lastCandidate = model.table.candidate.lastIndexOf(1);
  const targetVocab = Math.min(req.rapt.targetVocab ?? lastCandidate + 1, weights.vocabSize);
  const m = isRapt ? req.rapt.plainTokens : 0;
  const shape: TrainerShape = { promptLength, plainLength: m, classes, reconstructionWidth: req.rapt.width, targetVocab, lambda: req.rapt.lambda };
  if (promptLength + m + req.settings.maxTokens > weights.maxPositions) {
    throw new Error(`Prompt (${promptLength}) + plain tokens (${m}) + text (${req.settings.maxTokens}) exceed the encoder's ${weights.maxPositions} positions; lower one of them.`);
  }

  // ---- user side ----
  const t0 = performance.now();
  const candidates = candidateIdsOf(model.table);
  const plainCandidates = candidateIdsOf(model.table, targetVocab);
  const fixedPlain = req.condition === 'rapt' ? choosePlainTokens(req.seed, m, plainCandidates) : null;
  const plain: PlainTokenOption = fixedPlain
    ? { kind: 'fixed', tokens: fixedPlain }
    : req.condition === 'rapt-per-example'
      ? { kind: 'per-example', seed: req.seed, m, candidates: plainCandidates }
      : { kind: 'none' };
  const tokenize = (text: string) => model.tokenizer.encodeWithOffsets(text).ids;
  const privatize = (rows: Parameters<Privatizer['privatize']>[0], o: { invEta: number; seed: number }) => privatizer.privatize(rows, { ...o, cancelled: hooks.cancelled });
  const total = req.train.length + req.dev.length;
  const progress = (done: number) => hooks.onProgress?.({ phase: 'privatising', step: 0, totalSteps: 0, fraction: (0.05 * done) / Math.max(1, total), examplesPerSecond: null, etaSeconds: null });
  const userTrain = await privatizeLabelledExamples(privatize, tokenize, req.train, { eta, seed: req.seed, split: 'train', plain, maxTokens: req.settings.maxTokens, onProgress: (d) => progress(d) });
  const userDev = await privatizeLabelledExamples(privatize, tokenize, req.dev, { eta, seed: req.seed, split: 'dev', plain, maxTokens: req.settings.maxTokens, onProgress: (d) => progress(req.train.length + d) });
  const changedFraction = changedShare(userTrain, req.train, tokenize, m);
  const train = toService(userTrain);
  const dev = toService(userDev);
  const privatiseSeconds = (performance.now() - t0) / 1000;
  if (train.examples.length === 0) throw new Error('No training example has any token; check the text column.');
  if (dev.examples.length === 0) throw new Error('No evaluation example has any token; check the text column.');

  // ---- service side ----
  const hidden = weights.layers[weights.layers.length - 1].hidden;
  const initial: TrainableParams = {
    prompt: promptLength > 0 ? initialSoftPrompt({ data: weights.embeddings, vocabSize: weights.vocabSize, dim: weights.embeddingDim }, softPromptInitIds(req.seed, promptLength, candidates), 2) : new Float32Array(0),
    ...initialHeads(req.seed, hidden, shape),
  };
  const trainer = await UseLiteTrainer.create(ctx.runtime, weights, ctx.encoder.deviceWeights, shape, initial, {
    ...DEFAULT_OPTIMIZER,
    weightDecay: req.settings.weightDecay,
    maxGradNorm: req.settings.maxGradNorm,
  });
  try {
    const r = await trainLoop({
      trainer,
      train,
      dev,
      seed: req.seed,
      settings: req.settings,
      resume: req.resume,
      onProgress: hooks.onProgress,
      onCheckpoint: hooks.onCheckpoint,
      cancelled: hooks.cancelled,
      progressRange: [0.05, 1],
    });
    const sizes = paramSizes(weights, shape);
    return {
      condition: req.condition,
      eta: privatised ? req.eta : null,
      seed: req.seed,
      accuracy: r.accuracy,
      loss: r.loss,
      history: r.history,
      evals: r.evals,
      steps: r.steps,
      trainExamples: train.examples.length,
      devExamples: dev.examples.length,
      changedFraction,
      plainTokens: fixedPlain ? [...fixedPlain] : null,
      shape: { ...shape, trainedParameters: Object.values(sizes).reduce((a, b) => a + b, 0) },
      seconds: { privatise: privatiseSeconds, train: r.seconds.train, evaluate: r.seconds.evaluate },
    };
  } finally {
    trainer.destroy();
  }
}

/** Share of the training text's tokens that privatisation changed (user side: it compares with the clean ids). */
function changedShare(data: { examples: readonly { ids: Uint32Array }[]; sourceIndices: readonly number[] }, texts: readonly { text: string }[], tokenize: (t: string) => number[], m: number): number {
  let changed = 0;
  let total = 0;
  data.examples.forEach((e, i) => {
    const clean = tokenize(texts[data.sourceIndices[i]].text);
    for (let p = m; p < e.ids.length; p++) {
      total++;
      if (e.ids[p] !== clean[p - m]) changed++;
    }
  });
  return total ? changed / total : 0;
}
