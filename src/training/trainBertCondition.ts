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
import { BertTrainer, bertParamSizes, type BertHead, type BertTrainerShape } from './bertTrainer';
import { conditionPlan, initialHeads, requestOptimizer, serviceTrainLoop, trainResult, userSide } from './conditionData';
import type { TrainHooks } from './trainCondition';
import type { TrainRequest, TrainResult } from './trainTypes';
import type { TrainableParams } from './trainableParams';

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
  const plan = conditionPlan(req, model, cfg.vocabSize);
  const head: BertHead = req.head ?? 'classifier';
  if (head === 'verbaliser' && !weights.mlmHead) throw new Error('The verbaliser head needs a masked-LM checkpoint (e.g. BertForMaskedLM); this one has no MLM head. Use the classifier head.');
  const words = head === 'verbaliser' ? labelWordIds(tokenizer, req.labelWords ?? req.labelNames) : undefined;
  if (words && words.length !== plan.classes) throw new Error(`${words.length} label words for ${plan.classes} labels.`);
  const s = tokenizer.specialIds;
  const shape: BertTrainerShape = {
    promptLength: plan.promptLength, plainLength: plan.plainLength, classes: plan.classes, reconstructionWidth: req.rapt.width, targetVocab: plan.targetVocab, lambda: req.rapt.lambda,
    head, ...(words ? { labelWordIds: words } : {}), specialIds: { cls: s.cls, sep: s.sep, mask: s.mask, pad: s.pad },
  };
  const closing = head === 'verbaliser' ? 2 : 1;
  if (1 + plan.promptLength + plan.plainLength + req.settings.maxTokens + closing > cfg.maxPositionEmbeddings) {
    throw new Error(`[CLS] + prompt (${plan.promptLength}) + plain tokens (${plan.plainLength}) + text (${req.settings.maxTokens}) + ${head === 'verbaliser' ? '[MASK] [SEP]' : '[SEP]'} exceed the model's ${cfg.maxPositionEmbeddings} positions; lower one of them.`);
  }

  // ---- user side: only ids cross ([CLS]/[SEP] are added by the trainer, not privatised) ----
  const data = await userSide(req, plan, model, privatizer, (text) => tokenizer.encode(text, { addSpecialTokens: false }), hooks);

  // ---- service side ----
  const h = cfg.hiddenSize;
  const initial: TrainableParams = {
    // BERT's word embeddings enter as they are (its embedding LayerNorm follows), so scale 1.
    prompt: plan.promptLength > 0 ? initialSoftPrompt({ data: weights.wordEmbeddings, vocabSize: cfg.vocabSize, dim: h }, softPromptInitIds(req.seed, plan.promptLength, data.candidates), 1) : new Float32Array(0),
    ...initialHeads(req.seed, h, shape, head === 'classifier'),
  };
  const ownEncoder = ctx.encoder ? null : await BertEncoder.create(ctx.runtime, weights);
  const encoder = ctx.encoder ?? ownEncoder!;
  let trainer: BertTrainer | null = null;
  try {
    trainer = await BertTrainer.create(ctx.runtime, weights, encoder.deviceWeights, shape, initial, requestOptimizer(req));
    const r = await serviceTrainLoop(trainer, data, req, hooks);
    return trainResult(req, plan, data, r, shape.reconstructionWidth, bertParamSizes(weights, shape));
  } finally {
    trainer?.destroy();
    ownEncoder?.destroy();
  }
}
