// One versioned schema describes an experiment (tensorflow/playground's state.ts, made strict). Everything
// that holds an experiment is driven by it, never by a hand-written copy of its field list:
//   - validation: parseExperimentSpec (this file), with older versions migrated first (migrations.ts);
//   - the builder form: specFields.ts walks this schema (titles, help and widgets come from .meta());
//   - share links: shareLink.ts encodes a spec without its defaults and decodes through parseExperimentSpec;
//   - the headless runner's spec files (examples/*.json) and stored runs (storage/runRecord.ts).
// Kinds: `privatize` (this file), `train` and `compare` (trainingSchema.ts).
//
// Version history: 1 had one `seed`; 2 has `seeds` (a list, one run per seed) and optional `vary` (one field
// varied over a list of values: the conditions of a sweep). migrations.ts turns version 1 into version 2.

import { z } from 'zod';
import { migrateSpec } from './migrations';
import { fieldMeta, getAt, setAt, sweepableLeaves } from './specFields';
import { SpecError } from './specError';
import { compareExperimentFields, trainExperimentFields } from './trainingSchema';

export const SCHEMA_VERSION = 2;

/** The largest seed: Philox keys are 2×32 bits, and JSON numbers are exact up to 2^53. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

const uniqueNumbers = (xs: number[]) => new Set(xs).size === xs.length;

export const corpusSchema = z
  .discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('bundled').meta(fieldMeta({ title: 'The bundled IMDB sentences' })),
        name: z.literal('imdb-sentences').default('imdb-sentences').meta(fieldMeta({ title: 'Dataset', hidden: true })),
      })
      .strict(),
    z
      .object({
        kind: z.literal('file').meta(fieldMeta({ title: 'A local file (CSV, TSV, JSONL or text)' })),
        path: z
          .string()
          .min(1)
          .max(1000)
          .meta(fieldMeta({ title: 'File', help: 'Headless runner: a path relative to the working directory. In the app: the name of a file you choose.', widget: 'file' })),
        format: z.enum(['csv', 'tsv', 'jsonl', 'text']).optional().meta(fieldMeta({ title: 'Format', help: 'From the file extension when not set.' })),
        textColumn: z.string().min(1).max(200).default('text').meta(fieldMeta({ title: 'Text column' })),
      })
      .strict(),
    z
      .object({
        kind: z.literal('inline').meta(fieldMeta({ title: 'Texts typed here' })),
        texts: z
          .array(z.string().max(10_000))
          .min(1)
          .max(10_000)
          .meta(fieldMeta({ title: 'Texts', help: 'One text per line.', widget: 'lines' })),
      })
      .strict(),
  ])
  .meta(fieldMeta({ title: 'Corpus', help: 'The sentences to privatise; a seeded sample of them is used.' }));

export const bayesAttackSchema = z
  .object({
    enabled: z.boolean().default(true).meta(fieldMeta({ title: 'Run the Bayes-optimal attack', help: 'Monte-Carlo; slow on a CPU adapter.' })),
    candidates: z.number().int().min(1).max(256).default(8).meta(fieldMeta({ title: 'K candidates', help: 'Tokens nearest to each observed output that the attacker considers.' })),
    draws: z.number().int().min(1).max(10_000).default(32).meta(fieldMeta({ title: 'B simulated draws per candidate' })),
    observations: z.number().int().min(1).max(100_000).default(64).meta(fieldMeta({ title: 'Observations per η' })),
  })
  .strict();

const BAYES_DEFAULTS = { enabled: true, candidates: 8, draws: 32, observations: 64 };

/** A privatize experiment without its sweep-only parts; `vary` is checked against these fields. */
const privatizeFields = {
  schemaVersion: z.literal(SCHEMA_VERSION).meta(fieldMeta({ title: 'Schema version', hidden: true })),
  kind: z.literal('privatize').meta(fieldMeta({ title: 'Experiment kind', hidden: true })),
  name: z.string().max(200).optional().meta(fieldMeta({ title: 'Name', help: 'Shown in the runs table; runs of a sweep add their seed and condition.' })),
  model: z
    .object({ id: z.enum(['use-lite']).meta(fieldMeta({ title: 'Model', help: 'The bundled USE-Lite encoder (8002-token SentencePiece table, 256 dimensions).' })) })
    .strict()
    .default({ id: 'use-lite' })
    .meta(fieldMeta({ title: 'Model' })),
  mechanism: z
    .object({ name: z.enum(['dchi']).meta(fieldMeta({ title: 'Mechanism', help: 'd_χ-privacy: noise p(z) ∝ exp(−η‖z‖) on the token embedding, snapped to the nearest token.' })) })
    .strict()
    .default({ name: 'dchi' })
    .meta(fieldMeta({ title: 'Mechanism' })),
  corpus: corpusSchema,
  etas: z
    .array(z.number().positive().finite())
    .min(1)
    .max(64)
    .refine(uniqueNumbers, { message: 'each η may appear once' })
    .meta(fieldMeta({ title: 'η values', help: 'Privacy parameter; larger η = less noise. Every run evaluates all of them.', widget: 'list' })),
  seeds: z
    .array(z.number().int().min(0).max(MAX_SEED))
    .min(1)
    .max(32)
    .refine(uniqueNumbers, { message: 'each seed may appear once' })
    .meta(fieldMeta({ title: 'Seeds', help: 'One run per seed; the same seed gives the same privatised text and numbers.', widget: 'list' })),
  sampleSize: z.number().int().min(1).max(100_000).default(200).meta(fieldMeta({ title: 'Sentences sampled', help: 'Seeded sample from the corpus; all of it when smaller.' })),
  draws: z.number().int().min(1).max(1000).default(8).meta(fieldMeta({ title: 'Draws per token', help: 'Privatisations per token occurrence.' })),
  attacks: z
    .object({ bayes: bayesAttackSchema.default(BAYES_DEFAULTS).meta(fieldMeta({ title: 'Bayes-optimal inversion attack' })) })
    .strict()
    .default({ bayes: BAYES_DEFAULTS })
    .meta(fieldMeta({ title: 'Attacks', help: 'Identity and nearest-neighbour inversion always run.' })),
};

/** The fields a sweep may vary (leaves with more than one possible value), found by walking the schema. */
export const SWEEPABLE_FIELDS: readonly string[] = sweepableLeaves(z.object(privatizeFields), ['schemaVersion', 'kind', 'name', 'etas', 'seeds', 'corpus']);

export const varySchema = z
  .object({
    field: z
      .string()
      .refine((f) => SWEEPABLE_FIELDS.includes(f), { message: `must be one of ${SWEEPABLE_FIELDS.join(', ')}` })
      .meta(fieldMeta({ title: 'Field', widget: 'field-path' })),
    values: z
      .array(z.union([z.number(), z.boolean(), z.string().max(200)]))
      .min(1)
      .max(16)
      .meta(fieldMeta({ title: 'Values', help: 'Comma-separated; one condition per value.', widget: 'list' })),
  })
  .strict()
  .meta(fieldMeta({ title: 'Vary one more setting', help: 'Conditions of the sweep: every seed runs once per value.' }));

export const privatizeExperimentSchema = z
  .object({ ...privatizeFields, vary: varySchema.optional() })
  .strict()
  .meta(fieldMeta({ title: 'Privatize experiment', help: 'Privatise a corpus sample at each η and measure what changes and what attacks recover.' }));

export const trainExperimentSchema = z
  .object(trainExperimentFields(SCHEMA_VERSION))
  .strict()
  .meta(fieldMeta({ title: 'Train experiment', help: 'Prompt-tune the frozen encoder under one condition (clean, privatised, RAPT, linear probe) and evaluate it.' }));

export const compareExperimentSchema = z
  .object(compareExperimentFields(SCHEMA_VERSION))
  .strict()
  .meta(fieldMeta({ title: 'Compare experiment', help: 'The conditions of RAPT’s evaluation on the same data, seeds and η list, with mean and spread.' }));

export const experimentSpecSchema = z.discriminatedUnion('kind', [privatizeExperimentSchema, trainExperimentSchema, compareExperimentSchema]);

export type ExperimentSpec = z.infer<typeof experimentSpecSchema>;
export type PrivatizeExperimentSpec = z.infer<typeof privatizeExperimentSchema>;
export type TrainExperimentSpec = z.infer<typeof trainExperimentSchema>;
export type CompareExperimentSpec = z.infer<typeof compareExperimentSchema>;
export type TrainingSpec = TrainExperimentSpec | CompareExperimentSpec;
export type CorpusSpec = z.infer<typeof corpusSchema>;
export type VarySpec = z.infer<typeof varySchema>;

export { SpecError };

export interface SpecIssue {
  /** Dotted path of the field ("attacks.bayes.draws", "etas.0"); empty for the spec as a whole. */
  path: string;
  message: string;
}

export type SpecCheck = { ok: true; spec: ExperimentSpec } | { ok: false; issues: SpecIssue[] };

const issuesOf = (issues: readonly z.core.$ZodIssue[], prefix: (string | number)[] = []): SpecIssue[] =>
  issues.map((i) => ({ path: [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))].join('.'), message: i.message }));

/** Checks a spec of the current version and returns every problem with its path (the builder form shows them by field). */
export function checkCurrentSpec(input: unknown): SpecCheck {
  const result = experimentSpecSchema.safeParse(input);
  if (!result.success) return { ok: false, issues: issuesOf(result.error.issues) };
  const spec = result.data;
  if (spec.kind !== 'privatize' || !spec.vary) return { ok: true, spec };
  // Each condition must itself be a valid spec: the value must fit the field it is given to.
  const { vary, ...base } = spec;
  const issues: SpecIssue[] = [];
  vary.values.forEach((value, i) => {
    const condition = experimentSpecSchema.safeParse(setAt(base, vary.field, value));
    if (!condition.success) issues.push(...issuesOf(condition.error.issues).map((x) => ({ path: `vary.values.${i}`, message: `${x.path}: ${x.message}` })));
    else if (getAt(condition.data, vary.field) !== value) issues.push({ path: `vary.values.${i}`, message: `${JSON.stringify(value)} does not fit ${vary.field}` });
  });
  if (new Set(vary.values).size !== vary.values.length) issues.push({ path: 'vary.values', message: 'each value may appear once' });
  return issues.length ? { ok: false, issues } : { ok: true, spec };
}

export function formatSpecIssues(issues: readonly SpecIssue[], heading = 'The experiment spec is not valid:'): string {
  return `${heading}\n${issues.map((i) => `  - ${i.path || '(spec)'}: ${i.message}`).join('\n')}`;
}

/** Validates a spec of the current version; the error lists every problem with its path. */
export function parseCurrentSpec(input: unknown): ExperimentSpec {
  const checked = checkCurrentSpec(input);
  if (!checked.ok) throw new SpecError(formatSpecIssues(checked.issues));
  return checked.spec;
}

/**
 * Validates an experiment spec of any version this app knows. Older versions are validated against their
 * own frozen schema (so errors name the fields the file actually has) and migrated (migrations.ts); newer or
 * unknown versions are refused with a message saying so.
 */
export function parseExperimentSpec(input: unknown): ExperimentSpec {
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && 'schemaVersion' in input) {
    const version = input.schemaVersion;
    if (version !== SCHEMA_VERSION) {
      if (typeof version === 'number' && Number.isInteger(version) && version > SCHEMA_VERSION) {
        throw new SpecError(`This experiment uses schema version ${version}; this version of RAPT Lab reads versions 1 to ${SCHEMA_VERSION}. Open it in a newer RAPT Lab.`);
      }
      return parseCurrentSpec(migrateSpec(input, SCHEMA_VERSION));
    }
  }
  return parseCurrentSpec(input);
}
