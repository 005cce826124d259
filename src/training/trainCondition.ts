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
import { conditionPlan, initialHeads, requestOptimizer, serviceTrainLoop, trainResult, userSide } from './conditionData';
import type { TrainCheckpoint, TrainProgress, TrainRequest, TrainResult } from './trainTypes';
import { paramSizes, UseLiteTrainer, type TrainableParams, type TrainerShape } from './useLiteTrainer';

export interface TrainContext {
  runtime: GpuRuntime;
  model: LoadedModel;
  privatizer: Privatizer;
  /** The loaded USE-Lite encoder (its weights are shared with training); null for other architectures. */
  encoder: UseLiteEncoder | null;
  /** The loaded BERT-family encoder, shared likewise; absent or null: trainBertCondition creates one for the run. */
  bert?: BertEncoder | null;
}

export { initialHeads };

export interface TrainHooks {
  onProgress?: (p: TrainProgress) => void;
  onCheckpoint?: (c: TrainCheckpoint) => void | Promise<void>;
  cancelled?: () => boolean;
}

export async function trainCondition(ctx: TrainContext, req: TrainRequest, hooks: TrainHooks = {}): Promise<TrainResult> {
  const { model, privatizer } = ctx;
  if (model.architecture.kind === 'bert') {
    // BERT-family models: trainBertCondition.ts (BertTrainer); loaded on demand.
    const { trainBertCondition } = await import('./trainBertCondition');
    return trainBertCondition({ runtime: ctx.runtime, model, privatizer, encoder: ctx.bert ?? null }, req, hooks);
  }
  if (req.head === 'verbaliser') throw new Error('The verbaliser head needs a masked-LM checkpoint (BERT family); the bundled USE-Lite encoder has no MLM head. Use the classifier head.');
  if (model.architecture.kind !== 'use-lite' || !ctx.encoder) {
    throw new Error("Training needs the loaded model's encoder on the GPU; load the model again in the Models panel.");
  }
  const weights = model.architecture.weights;
  const plan = conditionPlan(req, model, weights.vocabSize);
  const shape: TrainerShape = {
    promptLength: plan.promptLength,
    plainLength: plan.plainLength,
    classes: plan.classes,
    reconstructionWidth: req.rapt.width,
    targetVocab: plan.targetVocab,
    lambda: req.rapt.lambda,
  };
  if (plan.promptLength + plan.plainLength + req.settings.maxTokens > weights.maxPositions) {
    throw new Error(`Prompt (${plan.promptLength}) + plain tokens (${plan.plainLength}) + text (${req.settings.maxTokens}) exceed the encoder's ${weights.maxPositions} positions; lower one of them.`);
  }

  // ---- user side: only ids cross ----
  const data = await userSide(req, plan, model, privatizer, (text) => model.tokenizer.encodeWithOffsets(text).ids, hooks);

  // ---- service side ----
  const hidden = weights.layers[weights.layers.length - 1].hidden;
  const initial: TrainableParams = {
    // USE-Lite feeds 2·E[id] to its first layer, so prompt rows start as doubled embeddings.
    prompt: plan.promptLength > 0 ? initialSoftPrompt({ data: weights.embeddings, vocabSize: weights.vocabSize, dim: weights.embeddingDim }, softPromptInitIds(req.seed, plan.promptLength, data.candidates), 2) : new Float32Array(0),
    ...initialHeads(req.seed, hidden, shape),
  };
  const trainer = await UseLiteTrainer.create(ctx.runtime, weights, ctx.encoder.deviceWeights, shape, initial, requestOptimizer(req));
  try {
    const r = await serviceTrainLoop(trainer, data, req, hooks);
    return trainResult(req, plan, data, r, shape.reconstructionWidth, paramSizes(weights, shape));
  } finally {
    trainer.destroy();
  }
}
