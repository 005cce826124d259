// One versioned schema describes an experiment. The headless runner's spec files, the builder forms, share
// links and stored runs all validate through it (tensorflow/playground's state.ts, made strict). This issue
// defines the `privatize` kind; `train` and `compare` join the union later.

import { z } from 'zod';

export const SCHEMA_VERSION = 1;

export const corpusSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('bundled'), name: z.literal('imdb-sentences').default('imdb-sentences') }).strict(),
  z
    .object({
      kind: z.literal('file'),
      /** Path of a local file (headless runner: relative to the working directory). */
      path: z.string().min(1),
      format: z.enum(['csv', 'tsv', 'jsonl', 'text']).optional(),
      textColumn: z.string().min(1).default('text'),
    })
    .strict(),
  z.object({ kind: z.literal('inline'), texts: z.array(z.string().max(10_000)).min(1).max(10_000) }).strict(),
]);

export const bayesAttackSchema = z
  .object({
    enabled: z.boolean().default(true),
    candidates: z.number().int().min(1).max(256).default(8),
    draws: z.number().int().min(1).max(10_000).default(32),
    observations: z.number().int().min(1).max(100_000).default(64),
  })
  .strict();

export const privatizeExperimentSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    kind: z.literal('privatize'),
    name: z.string().max(200).optional(),
    model: z.object({ id: z.literal('use-lite') }).strict().default({ id: 'use-lite' }),
    mechanism: z.object({ name: z.literal('dchi') }).strict().default({ name: 'dchi' }),
    corpus: corpusSchema,
    etas: z.array(z.number().positive().finite()).min(1).max(64),
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    /** Sentences sampled from the corpus (seeded); all when the corpus is smaller. */
    sampleSize: z.number().int().min(1).max(100_000).default(200),
    /** Privatisations per token occurrence. */
    draws: z.number().int().min(1).max(1000).default(8),
    attacks: z.object({ bayes: bayesAttackSchema.default({ enabled: true, candidates: 8, draws: 32, observations: 64 }) }).strict().default({
      bayes: { enabled: true, candidates: 8, draws: 32, observations: 64 },
    }),
  })
  .strict();

export const experimentSpecSchema = z.discriminatedUnion('kind', [privatizeExperimentSchema]);

export type ExperimentSpec = z.infer<typeof experimentSpecSchema>;
export type PrivatizeExperimentSpec = z.infer<typeof privatizeExperimentSchema>;
export type CorpusSpec = z.infer<typeof corpusSchema>;

export class SpecError extends Error {
  override name = 'SpecError';
}

/** Validates an experiment spec; the error lists every problem with its path. */
export function parseExperimentSpec(input: unknown): ExperimentSpec {
  if (typeof input === 'object' && input !== null && 'schemaVersion' in input && input.schemaVersion !== SCHEMA_VERSION) {
    throw new SpecError(
      `This experiment uses schema version ${String(input.schemaVersion)}; this version of RAPT Lab reads version ${SCHEMA_VERSION}.`,
    );
  }
  const result = experimentSpecSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  - ${i.path.length ? i.path.join('.') : '(spec)'}: ${i.message}`);
    throw new SpecError(`The experiment spec is not valid:\n${problems.join('\n')}`);
  }
  return result.data;
}
