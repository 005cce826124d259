// One training request on a BERT-family model: trainCondition.ts's flow (user side privatises, service side
// trains) with BertTrainer in place of UseLiteTrainer. Differences from the USE-Lite path:
//   - text is tokenized WITHOUT [CLS]/[SEP] (the trainer adds them around [P; k'; x']), so privatisation and
//     truncation see only real tokens;
//   - the soft prompt is initialised from word-embedding rows as they are (scale 1: BERT adds word vectors
//     unscaled before its embedding LayerNorm);
//   - the task head is 'classifier' (default: linear on the mean of the text rows) or 'verbaliser' (masked
//     LMs: the frozen MLM head at a [MASK] row, logits over one label word per class — `labelWords`, or the
//     label names themselves when each is a single token of the vocabulary).
// Layout and kernels: bertTrainer.ts.

import type { GpuRuntime } from '../gpu/runtime';
import { BertEncoder } from '../model/bert/bertEncoder';
import type { LoadedModel } from '../model/loadedModel';
import type { WordPieceTokenizer } from '../model/tokenizer/wordPiece';
import { initialSoftPrompt, softPromptInitIds } from '../peft/softPrompt';
import type { Privatizer } from '../privacy/privatize';
import { PhiloxStream } from '../privacy/random/philox';
import { StreamPurpose } from '../privacy/random/streams';
import { candidateIdsOf, choosePlainTokens } from '../rapt/plainTokens';
import { toService } from '../rapt/serviceSide';
import { privatizeLabelledExamples, type PlainTokenOption } from '../rapt/userSide';
import { PRIVATISED_CONDITIONS } from '../experiments/trainingSchema';
import { BertTrainer, bertParamSizes, type BertHead, type BertTrainerShape } from './bertTrainer';
import { trainLoop } from './trainLoop';
import type { TrainHooks } from './trainCondition';
import type { TrainRequest, TrainResult } from './trainTypes';
import { DEFAULT_OPTIMIZER, type TrainableParams } from './trainableParams';

export interface BertTrainContext {
  runtime: GpuRuntime;
  model: LoadedModel;
  privatizer: Privatizer;
  /** The loaded model's encoder (its weights are shared); null: one is created for the run and destroyed after. */
  encoder?: BertEncoder | null;
}

/** What a BERT request may add to TrainRequest (proposed fields of TrainRequest; absent = classifier). */
export interface BertTrainRequestOptions {
  head?: BertHead;
  /** Verbaliser: one word per class, each a single token of the vocabulary; default: the label names. */
  labelWords?: string[] | null;
}

/** The vocabulary id of each label word; throws with the word's pieces when one is not a single token. */
export function labelWordIds(tokenizer: WordPieceTokenizer, words: readonly string[]): number[] {
  return words.map((word) => {
    const ids = tokenizer.encode(word, { addSpecialTokens: false });
    if (ids.length !== 1) {
      const pieces = ids.map((id) => tokenizer.pieceOf(id)).join(' ');
      throw new Error(`The label word "${word}" is ${ids.length === 0 ? 'no token' : `${ids.length} tokens (${pieces})`} for this model; the verbaliser needs one vocabulary token per class.`);
    }
    return ids[0];
  });
}

export async function trainBertCondition(ctx: BertTrainContext, req: TrainRequest & BertTrainRequestOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const { model, privatizer } = ctx;
  if (model.architecture.kind !== 'bert') throw new Error('trainBertCondition needs a BERT-family model.');
  const weights = model.architecture.weights;
  const cfg = weights.config;
  const tokenizer = model.tokenizer as WordPieceTokenizer;
  const classes = req.labelNames.length;
  if (classes < 2) throw new Error(`A classifier needs at least two labels; the data has ${classes}.`);
  const head: BertHead = req.head ?? 'classifier';
  if (head === 'verbaliser' && !weights.mlmHead) throw new Error('The verbaliser head needs a masked-LM checkpoint (e.g. BertForMaskedLM); this one has no MLM head. Use the classifier head.');
  const words = head === 'verbaliser' ? labelWordIds(tokenizer, req.labelWords ?? req.labelNames) : undefined;
  if (words && words.length !== classes) throw new Error(`${words.length} label words for ${classes} labels.`);
  const privatised = PRIVATISED_CONDITIONS.includes(req.condition);
  const eta = privatised ? req.eta : Infinity;
  const isRapt = req.condition === 'rapt' || req.condition === 'rapt-per-example';
  const promptLength = req.condition === 'linear-probe' ? 0 : req.promptLength;
  const lastCandidate = model.table.candidate.lastIndexOf(1);
  const targetVocab = Math.min(req.rapt.targetVocab ?? lastCandidate + 1, cfg.vocabSize);
  const m = isRapt ? req.rapt.plainTokens : 0;
  const s = tokenizer.specialIds;
  const shape: BertTrainerShape = {
    promptLength, plainLength: m, classes, reconstructionWidth: req.rapt.width, targetVocab, lambda: req.rapt.lambda,
    head, ...(words ? { labelWordIds: words } : {}), specialIds: { cls: s.cls, sep: s.sep, mask: s.mask, pad: s.pad },
  };
  const closing = head === 'verbaliser' ? 2 : 1;
  if (1 + promptLength + m + req.settings.maxTokens + closing > cfg.maxPositionEmbeddings) {
    throw new Error(`[CLS] + prompt (${promptLength}) + plain tokens (${m}) + text (${req.settings.maxTokens}) + ${head === 'verbaliser' ? '[MASK] [SEP]' : '[SEP]'} exceed the model's ${cfg.maxPositionEmbeddings} positions; lower one of them.`);
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
  const tokenize = (text: string) => tokenizer.encode(text, { addSpecialTokens: false });
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
  const h = cfg.hiddenSize;
  const heads = initialBertHeads(req.seed, h, shape);
  const initial: TrainableParams = {
    prompt: promptLength > 0 ? initialSoftPrompt({ data: weights.wordEmbeddings, vocabSize: cfg.vocabSize, dim: h }, softPromptInitIds(req.seed, promptLength, candidates), 1) : new Float32Array(0),
    ...heads,
  };
  const ownEncoder = ctx.encoder ? null : await BertEncoder.create(ctx.runtime, weights);
  const encoder = ctx.encoder ?? ownEncoder!;
  let trainer: BertTrainer | null = null;
  try {
    trainer = await BertTrainer.create(ctx.runtime, weights, encoder.deviceWeights, shape, initial, {
      ...DEFAULT_OPTIMIZER,
      weightDecay: req.settings.weightDecay,
      maxGradNorm: req.settings.maxGradNorm,
    });
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
    const sizes = bertParamSizes(weights, shape);
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
      shape: { promptLength, plainLength: m, reconstructionWidth: shape.reconstructionWidth, targetVocab, classes, trainedParameters: Object.values(sizes).reduce((a, b) => a + b, 0) },
      seconds: { privatise: privatiseSeconds, train: r.seconds.train, evaluate: r.seconds.evaluate },
    };
  } finally {
    trainer?.destroy();
    ownEncoder?.destroy();
  }
}

/**
 * Initial heads, as trainCondition.ts's initialHeads (same stream, same draws): task head zero (the
 * verbaliser has none), RAPT's W2, W1 ~ N(0, 1/fan_in).
 */
export function initialBertHeads(seed: number, hidden: number, shape: BertTrainerShape): Omit<TrainableParams, 'prompt'> {
  const stream = new PhiloxStream(seed, StreamPurpose.headInit);
  const normal = (n: number, std: number) => Float32Array.from({ length: n }, () => std * stream.nextNormal());
  const rec = shape.plainLength > 0;
  const classifier = shape.head === 'classifier';
  return {
    taskW: new Float32Array(classifier ? hidden * shape.classes : 0),
    taskB: new Float32Array(classifier ? shape.classes : 0),
    recW2: rec ? normal(hidden * shape.reconstructionWidth, 1 / Math.sqrt(hidden)) : new Float32Array(0),
    recW1: rec ? normal(shape.reconstructionWidth * shape.targetVocab, 1 / Math.sqrt(shape.reconstructionWidth)) : new Float32Array(0),
  };
}

/** Share of the training text's tokens that privatisation changed (as in trainCondition.ts). */
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
