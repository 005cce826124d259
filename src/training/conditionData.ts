// What every architecture's training request shares (trainCondition.ts for USE-Lite, trainBertCondition.ts
// for BERT): what a condition means, the USER side of RAPT's boundary (privatise the labelled text, with the
// plain tokens, then hand only ids to the service), the initial heads, and the result record.
//
// Conditions (rapt-method.md §5): clean prompt tuning and the linear probe train on clean text (η = ∞ — the
// user side then sends the tokens unchanged); prompt tuning and RAPT train and evaluate on privatised text.
// The linear probe is prompt tuning with no prompt (N = 0): only the task head on the frozen features.

import type { LoadedModel } from '../model/loadedModel';
import type { Privatizer } from '../privacy/privatize';
import { PhiloxStream } from '../privacy/random/philox';
import { StreamPurpose } from '../privacy/random/streams';
import { candidateIdsOf, choosePlainTokens } from '../rapt/plainTokens';
import { toService, type ServiceDataset } from '../rapt/serviceSide';
import { privatizeLabelledExamples, type PlainTokenOption } from '../rapt/userSide';
import { PRIVATISED_CONDITIONS } from '../experiments/trainingSchema';
import { trainLoop, type TrainLoopOptions, type TrainLoopResult } from './trainLoop';
import type { TrainProgress, TrainRequest, TrainResult } from './trainTypes';
import { DEFAULT_OPTIMIZER, type OptimizerSettings, type TrainableParams } from './trainableParams';
import type { PromptTrainer } from './trainerCore';

/** What the request's condition asks for, resolved against the model. */
export interface ConditionPlan {
  privatised: boolean;
  /** Infinity for the clean conditions. */
  eta: number;
  promptLength: number;
  /** m: plain tokens (0 unless RAPT). */
  plainLength: number;
  /** |T|: defaults to the candidate ids' range (USE-Lite: 8000; its rows 8000–8001 are never produced). */
  targetVocab: number;
  classes: number;
}

export function conditionPlan(req: TrainRequest, model: LoadedModel, vocabSize: number): ConditionPlan {
  const classes = req.labelNames.length;
  if (classes < 2) throw new Error(`A classifier needs at least two labels; the data has ${classes}.`);
  const privatised = PRIVATISED_CONDITIONS.includes(req.condition);
  const isRapt = req.condition === 'rapt' || req.condition === 'rapt-per-example';
  const lastCandidate = model.table.candidate.lastIndexOf(1);
  return {
    privatised,
    eta: privatised ? req.eta : Infinity,
    promptLength: req.condition === 'linear-probe' ? 0 : req.promptLength,
    plainLength: isRapt ? req.rapt.plainTokens : 0,
    targetVocab: Math.min(req.rapt.targetVocab ?? lastCandidate + 1, vocabSize),
    classes,
  };
}

export interface ServiceData {
  train: ServiceDataset;
  dev: ServiceDataset;
  /** Share of the training text's tokens privatisation changed (computed on the user side). */
  changedFraction: number;
  /** The fixed plain tokens of a RAPT run (public), else null. */
  plainTokens: Uint32Array | null;
  /** The model's candidate ids (soft-prompt initialisation draws from them). */
  candidates: Uint32Array;
  seconds: number;
}

/**
 * The USER side: tokenise and privatise the train and dev texts ([k; x] together, rapt-method.md §4 step 2),
 * then `toService` — only privatised ids, labels and the public plain targets go on.
 */
export async function userSide(
  req: TrainRequest,
  plan: ConditionPlan,
  model: LoadedModel,
  privatizer: Privatizer,
  tokenize: (text: string) => number[],
  hooks: { onProgress?: (p: TrainProgress) => void; cancelled?: () => boolean },
): Promise<ServiceData> {
  const t0 = performance.now();
  const m = plan.plainLength;
  const candidates = candidateIdsOf(model.table);
  const plainCandidates = candidateIdsOf(model.table, plan.targetVocab);
  const fixed = req.condition === 'rapt' ? choosePlainTokens(req.seed, m, plainCandidates) : null;
  const plain: PlainTokenOption = fixed
    ? { kind: 'fixed', tokens: fixed }
    : req.condition === 'rapt-per-example'
      ? { kind: 'per-example', seed: req.seed, m, candidates: plainCandidates }
      : { kind: 'none' };
  const privatize = (rows: Parameters<Privatizer['privatize']>[0], o: { invEta: number; seed: number }) => privatizer.privatize(rows, { ...o, cancelled: hooks.cancelled });
  const total = req.train.length + req.dev.length;
  const progress = (done: number) =>
    hooks.onProgress?.({ phase: 'privatising', step: 0, totalSteps: 0, fraction: (0.05 * done) / Math.max(1, total), examplesPerSecond: null, etaSeconds: null });
  const options = { eta: plan.eta, seed: req.seed, plain, maxTokens: req.settings.maxTokens };
  const userTrain = await privatizeLabelledExamples(privatize, tokenize, req.train, { ...options, split: 'train', onProgress: (d) => progress(d) });
  const userDev = await privatizeLabelledExamples(privatize, tokenize, req.dev, { ...options, split: 'dev', onProgress: (d) => progress(req.train.length + d) });
  const changedFraction = changedShare(userTrain, req.train, tokenize, m);
  const train = toService(userTrain);
  const dev = toService(userDev);
  if (train.examples.length === 0) throw new Error('No training example has any token; check the text column.');
  if (dev.examples.length === 0) throw new Error('No evaluation example has any token; check the text column.');
  return { train, dev, changedFraction, plainTokens: fixed, candidates, seconds: (performance.now() - t0) / 1000 };
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

/**
 * Initial heads: the task classifier zero (an untrained classifier says 50/50; `classifier` false for a
 * verbaliser, which has none), RAPT's W2, W1 ~ N(0, 1/fan_in), from the seed's headInit stream.
 */
export function initialHeads(
  seed: number,
  hidden: number,
  shape: { classes: number; plainLength: number; reconstructionWidth: number; targetVocab: number },
  classifier = true,
): Omit<TrainableParams, 'prompt'> {
  const stream = new PhiloxStream(seed, StreamPurpose.headInit);
  const normal = (n: number, std: number) => Float32Array.from({ length: n }, () => std * stream.nextNormal());
  const rec = shape.plainLength > 0;
  return {
    taskW: new Float32Array(classifier ? hidden * shape.classes : 0),
    taskB: new Float32Array(classifier ? shape.classes : 0),
    recW2: rec ? normal(hidden * shape.reconstructionWidth, 1 / Math.sqrt(hidden)) : new Float32Array(0),
    recW1: rec ? normal(shape.reconstructionWidth * shape.targetVocab, 1 / Math.sqrt(shape.reconstructionWidth)) : new Float32Array(0),
  };
}

/** The optimizer of a request's trainer: the defaults with the request's weight decay and clipping norm. */
export function requestOptimizer(req: TrainRequest): OptimizerSettings {
  return { ...DEFAULT_OPTIMIZER, weightDecay: req.settings.weightDecay, maxGradNorm: req.settings.maxGradNorm };
}

/** The SERVICE side: the training loop on the privatised data with the request's settings (after privatising, 5–100 % of the progress bar). */
export function serviceTrainLoop(
  trainer: PromptTrainer,
  data: ServiceData,
  req: TrainRequest,
  hooks: Pick<TrainLoopOptions, 'onProgress' | 'onCheckpoint' | 'cancelled'>,
): Promise<TrainLoopResult> {
  return trainLoop({
    trainer,
    train: data.train,
    dev: data.dev,
    seed: req.seed,
    settings: req.settings,
    resume: req.resume,
    onProgress: hooks.onProgress,
    onCheckpoint: hooks.onCheckpoint,
    cancelled: hooks.cancelled,
    progressRange: [0.05, 1],
  });
}

export function trainResult(
  req: TrainRequest,
  plan: ConditionPlan,
  data: ServiceData,
  r: TrainLoopResult,
  reconstructionWidth: number,
  sizes: Record<string, number>,
): TrainResult {
  return {
    condition: req.condition,
    eta: plan.privatised ? req.eta : null,
    seed: req.seed,
    accuracy: r.accuracy,
    loss: r.loss,
    history: r.history,
    evals: r.evals,
    steps: r.steps,
    trainExamples: data.train.examples.length,
    devExamples: data.dev.examples.length,
    changedFraction: data.changedFraction,
    plainTokens: data.plainTokens ? [...data.plainTokens] : null,
    shape: {
      promptLength: plan.promptLength,
      plainLength: plan.plainLength,
      reconstructionWidth,
      targetVocab: plan.targetVocab,
      classes: plan.classes,
      trainedParameters: Object.values(sizes).reduce((a, b) => a + b, 0),
    },
    seconds: { privatise: data.seconds, train: r.seconds.train, evaluate: r.seconds.evaluate },
  };
}
