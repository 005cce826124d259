// The `train` and `compare` experiment kinds (issue 4): prompt tuning and RAPT on privatised text, and the
// four conditions of rapt-method.md §5 on the same data, seeds and η list. Same conventions as schema.ts:
// every field carries its title and help for the builder form, defaults are the documented ones.
//
// Defaults were chosen by measurement on SST-2 with the bundled encoder (README, "Training"): they are
// starting points for a CPU adapter (minutes, not hours), not tuned optima.

import { z } from 'zod';
import { fieldMeta } from './specFields';

const uniqueNumbers = (xs: number[]) => new Set(xs).size === xs.length;

/** Where labelled examples come from. */
export const labelledSourceSchema = z
  .discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('bundled').meta(fieldMeta({ title: 'The bundled IMDB sentences (labelled by the review’s sentiment)' })),
        name: z.literal('imdb-sentences').default('imdb-sentences').meta(fieldMeta({ title: 'Dataset', hidden: true })),
      })
      .strict(),
    z
      .object({
        kind: z.literal('file').meta(fieldMeta({ title: 'A local file (CSV, TSV or JSONL)' })),
        path: z
          .string()
          .min(1)
          .max(1000)
          .meta(fieldMeta({ title: 'File', help: 'Headless runner: a path relative to the working directory. In the app: a file you choose.', widget: 'file' })),
        format: z.enum(['csv', 'tsv', 'jsonl']).optional().meta(fieldMeta({ title: 'Format', help: 'From the file extension when not set.' })),
        textColumn: z.string().min(1).max(200).default('sentence').meta(fieldMeta({ title: 'Text column' })),
        labelColumn: z.string().min(1).max(200).default('label').meta(fieldMeta({ title: 'Label column' })),
      })
      .strict(),
  ])
  .meta(fieldMeta({ title: 'Examples' }));

export const trainingDataSchema = z
  .object({
    train: labelledSourceSchema.meta(fieldMeta({ title: 'Training examples' })),
    dev: labelledSourceSchema
      .nullable()
      .default(null)
      .meta(fieldMeta({ title: 'Evaluation examples', help: 'None: a seeded hold-out of the training examples.' })),
    trainSize: z.number().int().min(8).max(100_000).default(1600).meta(fieldMeta({ title: 'Training examples used', help: 'A seeded subset (all when the file is smaller).' })),
    devSize: z.number().int().min(1).max(100_000).default(400).meta(fieldMeta({ title: 'Evaluation examples used', help: 'The first ones of the evaluation set, or the hold-out size.' })),
  })
  .strict()
  .meta(fieldMeta({ title: 'Data' }));

export const CONDITIONS = ['clean-prompt-tuning', 'prompt-tuning', 'rapt', 'rapt-per-example', 'linear-probe'] as const;
export type Condition = (typeof CONDITIONS)[number];

export const CONDITION_LABELS: Record<Condition, string> = {
  'clean-prompt-tuning': 'Prompt tuning on clean text (non-private upper bound)',
  'prompt-tuning': 'Prompt tuning on privatised text',
  rapt: 'RAPT on privatised text (fixed plain tokens)',
  'rapt-per-example': 'RAPT, plain tokens resampled per example (our variant)',
  'linear-probe': 'Linear probe on frozen features (clean text)',
};

/** Conditions whose training and evaluation text is privatised (the others ignore η). */
export const PRIVATISED_CONDITIONS: readonly Condition[] = ['prompt-tuning', 'rapt', 'rapt-per-example'];

const conditionSchema = z.enum(CONDITIONS).meta(fieldMeta({ title: 'Condition' }));

export const promptSchema = z
  .object({
    length: z.number().int().min(1).max(64).default(10).meta(fieldMeta({ title: 'Soft-prompt length N', help: 'Virtual tokens prepended to every input, initialised from embeddings of random vocabulary tokens.' })),
  })
  .strict()
  .meta(fieldMeta({ title: 'Prompt tuning' }));

export const raptSchema = z
  .object({
    plainTokens: z.number().int().min(1).max(64).default(8).meta(fieldMeta({ title: 'Plain tokens m', help: 'Public tokens prepended to every input and privatised with it; the reconstruction head must recover them.' })),
    lambda: z.number().min(0).max(100).default(1).meta(fieldMeta({ title: 'λ (reconstruction weight)', help: 'loss = task + λ·reconstruction.' })),
    width: z.number().int().min(1).max(1024).default(128).meta(fieldMeta({ title: 'Head width c', help: 'The reconstruction head is W1·W2 with W2: hidden → c and W1: c → |T|.' })),
    targetVocab: z.number().int().min(2).max(1_000_000).nullable().default(null).meta(fieldMeta({ title: 'Target vocabulary |T|', help: 'Plain tokens are drawn from the first |T| candidate tokens; none: the whole vocabulary.' })),
  })
  .strict()
  .meta(fieldMeta({ title: 'RAPT' }));

export const trainingSettingsSchema = z
  .object({
    epochs: z.number().int().min(1).max(100).default(3).meta(fieldMeta({ title: 'Epochs' })),
    batchSize: z.number().int().min(1).max(256).default(16).meta(fieldMeta({ title: 'Batch size' })),
    lr: z.number().positive().max(10).default(3e-3).meta(fieldMeta({ title: 'Learning rate (heads)', help: 'AdamW, warm-up then linear decay to 0.' })),
    promptLr: z.number().positive().max(10).default(3e-2).meta(fieldMeta({ title: 'Learning rate (soft prompt)' })),
    warmupFraction: z.number().min(0).max(1).default(0.1).meta(fieldMeta({ title: 'Warm-up fraction of steps' })),
    weightDecay: z.number().min(0).max(1).default(0.01).meta(fieldMeta({ title: 'Weight decay' })),
    maxGradNorm: z.number().min(0).max(1000).default(1).meta(fieldMeta({ title: 'Clip gradient norm at', help: '0: no clipping.' })),
    maxTokens: z.number().int().min(4).max(110).default(48).meta(fieldMeta({ title: 'Tokens kept per text', help: 'Longer texts are cut (the encoder has 128 positions, shared with the prompt and plain tokens).' })),
    evalsPerEpoch: z.number().int().min(0).max(20).default(1).meta(fieldMeta({ title: 'Evaluations per epoch', help: '0: only after the last step.' })),
    initialEvaluation: z.boolean().default(true).meta(fieldMeta({ title: 'Evaluate before training', help: 'Shows where the learning curve starts (an untrained head is at chance).' })),
  })
  .strict()
  .meta(fieldMeta({ title: 'Training' }));

const common = <K extends 'train' | 'compare', V extends number>(kind: K, schemaVersion: V) => ({
  schemaVersion: z.literal(schemaVersion).meta(fieldMeta({ title: 'Schema version', hidden: true })),
  kind: z.literal(kind).meta(fieldMeta({ title: 'Experiment kind', hidden: true })),
  name: z.string().max(200).optional().meta(fieldMeta({ title: 'Name' })),
  model: z
    .object({
      id: z
        .enum(['use-lite', 'loaded'])
        .meta(fieldMeta({ title: 'Model', help: 'use-lite: the bundled encoder. loaded: the model loaded in the Models panel (a BERT-family checkpoint from the Hub or a folder); the headless runner only has the bundled one.' })),
    })
    .strict()
    .default({ id: 'use-lite' })
    .meta(fieldMeta({ title: 'Model' })),
  task: z
    .object({
      head: z
        .enum(['classifier', 'verbaliser'])
        .default('classifier')
        .meta(fieldMeta({ title: 'Task head', help: 'classifier: a linear head on the mean of the text rows. verbaliser (masked LMs only): the frozen MLM head at a [MASK] row, over one label word per class.' })),
      labelWords: z
        .array(z.string().min(1).max(100))
        .max(100)
        .nullable()
        .default(null)
        .meta(fieldMeta({ title: 'Label words', help: 'Verbaliser: one single-token word per class, in class order; none: the label names.', widget: 'list' })),
    })
    .strict()
    .default({ head: 'classifier', labelWords: null })
    .meta(fieldMeta({ title: 'Task' })),
  mechanism: z
    .object({ name: z.enum(['dchi']).meta(fieldMeta({ title: 'Mechanism', help: 'd_χ-privacy on token embeddings, snapped to the nearest token.' })) })
    .strict()
    .default({ name: 'dchi' })
    .meta(fieldMeta({ title: 'Mechanism' })),
  data: trainingDataSchema,
  seeds: z
    .array(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER))
    .min(1)
    .max(32)
    .refine(uniqueNumbers, { message: 'each seed may appear once' })
    .meta(fieldMeta({ title: 'Seeds', help: 'Each seed fixes the subset, the privatised text, the initialisation and the batch order.', widget: 'list' })),
  prompt: promptSchema.default({ length: 10 }),
  rapt: raptSchema.default({ plainTokens: 8, lambda: 1, width: 128, targetVocab: null }),
  training: trainingSettingsSchema.default({ epochs: 3, batchSize: 16, lr: 3e-3, promptLr: 3e-2, warmupFraction: 0.1, weightDecay: 0.01, maxGradNorm: 1, maxTokens: 48, evalsPerEpoch: 1, initialEvaluation: true }),
});

export const trainExperimentFields = <V extends number>(schemaVersion: V) => ({
  ...common('train', schemaVersion),
  condition: conditionSchema.default('rapt'),
  eta: z.number().positive().finite().default(20).meta(fieldMeta({ title: 'η', help: 'Privacy parameter of the privatised conditions (ignored by the clean ones).' })),
});

export const compareExperimentFields = <V extends number>(schemaVersion: V) => ({
  ...common('compare', schemaVersion),
  conditions: z
    .array(conditionSchema)
    .min(1)
    .max(CONDITIONS.length)
    .refine((xs) => new Set(xs).size === xs.length, { message: 'each condition may appear once' })
    .default(['clean-prompt-tuning', 'prompt-tuning', 'rapt', 'linear-probe'])
    .meta(fieldMeta({ title: 'Conditions', widget: 'list' })),
  etas: z
    .array(z.number().positive().finite())
    .min(1)
    .max(16)
    .refine(uniqueNumbers, { message: 'each η may appear once' })
    .meta(fieldMeta({ title: 'η values', help: 'Each privatised condition runs once per η and seed; clean conditions once per seed.', widget: 'list' })),
});
