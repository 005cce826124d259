// Older experiment specs, read and brought up to date. Each old version keeps its schema here, frozen as it
// was released: an old file is first validated against the schema it was written for (so a problem is named
// in the file's own terms, "seed", not in the new version's), then moved forward one version at a time.
// Adding version N+1: freeze version N's schema here, add the step N → N+1, bump SCHEMA_VERSION in schema.ts.

import { z } from 'zod';
import { SpecError } from './specError';

/** Version 1 (the headless runner's first spec files): one `seed`. Frozen; do not edit. */
const specV1Schema = z
  .object({
    schemaVersion: z.literal(1),
    kind: z.literal('privatize'),
    name: z.string().max(200).optional(),
    model: z.object({ id: z.literal('use-lite') }).strict().optional(),
    mechanism: z.object({ name: z.literal('dchi') }).strict().optional(),
    corpus: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('bundled'), name: z.literal('imdb-sentences').optional() }).strict(),
      z
        .object({
          kind: z.literal('file'),
          path: z.string().min(1),
          format: z.enum(['csv', 'tsv', 'jsonl', 'text']).optional(),
          textColumn: z.string().min(1).optional(),
        })
        .strict(),
      z.object({ kind: z.literal('inline'), texts: z.array(z.string().max(10_000)).min(1).max(10_000) }).strict(),
    ]),
    etas: z.array(z.number().positive().finite()).min(1).max(64),
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    sampleSize: z.number().int().min(1).max(100_000).optional(),
    draws: z.number().int().min(1).max(1000).optional(),
    attacks: z
      .object({
        bayes: z
          .object({
            enabled: z.boolean().optional(),
            candidates: z.number().int().min(1).max(256).optional(),
            draws: z.number().int().min(1).max(10_000).optional(),
            observations: z.number().int().min(1).max(100_000).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

type SpecV1 = z.infer<typeof specV1Schema>;

/** 1 → 2: `seed` became the list `seeds` (one run per seed). Everything else is unchanged. */
function v1ToV2(spec: SpecV1): Record<string, unknown> {
  const { seed, ...rest } = spec;
  return { ...rest, schemaVersion: 2, seeds: [seed] };
}

interface Step {
  from: number;
  schema: z.ZodType;
  migrate: (spec: never) => Record<string, unknown>;
}

const STEPS: Step[] = [{ from: 1, schema: specV1Schema, migrate: v1ToV2 as Step['migrate'] }];

/** The oldest version that can still be read. */
export const OLDEST_SCHEMA_VERSION = 1;

/**
 * Brings an older spec to `target` (the current version). Throws SpecError for a version that never existed
 * or a file that is invalid in its own version; the caller validates the result against the current schema.
 */
export function migrateSpec(input: object & { schemaVersion: unknown }, target: number): unknown {
  const claimed = input.schemaVersion;
  if (typeof claimed !== 'number' || !Number.isInteger(claimed) || claimed < OLDEST_SCHEMA_VERSION) {
    throw new SpecError(`This experiment has schema version ${String(JSON.stringify(claimed)).slice(0, 40)}, which no RAPT Lab release wrote; versions ${OLDEST_SCHEMA_VERSION} to ${target} can be read.`);
  }
  let version = claimed;
  let spec: unknown = input;
  while (version < target) {
    const step = STEPS.find((s) => s.from === version);
    if (!step) throw new SpecError(`No migration from schema version ${version}.`);
    const parsed = step.schema.safeParse(spec);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `  - ${i.path.length ? i.path.map(String).join('.') : '(spec)'}: ${i.message}`);
      throw new SpecError(`The experiment spec (schema version ${version}) is not valid:\n${problems.join('\n')}`);
    }
    spec = step.migrate(parsed.data as never);
    version = (spec as { schemaVersion: number }).schemaVersion;
  }
  return spec;
}
