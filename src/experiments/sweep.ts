// A sweep: one experiment spec with several seeds and, optionally, one more field varied over a list of
// values (`vary`, the conditions) expands into single runs, queued and executed one after another.
// A privatize run evaluates the whole η list itself (the engine sweeps η in one pass over the same token
// rows, and each η's result does not depend on the others), so η stays inside each run; training runs,
// when they come, will take one η each.

import { SpecError } from './specError';
import type { ExperimentSpec } from './schema';
import { setAt } from './specFields';

export type ConditionValue = string | number | boolean;

export interface PlannedRun {
  /** The run's own spec: one seed, no `vary`, the condition's value set. */
  spec: ExperimentSpec;
  seed: number;
  condition: { field: string; value: ConditionValue } | null;
  /** "d_chi demo · draws = 2 · seed 1" */
  label: string;
}

/** More runs than this from one click is almost certainly a typo. */
export const MAX_RUNS_PER_SWEEP = 128;

export function conditionLabel(condition: PlannedRun['condition']): string {
  return condition ? `${condition.field} = ${String(condition.value)}` : '';
}

export function runLabel(spec: ExperimentSpec, seed: number, condition: PlannedRun['condition']): string {
  const base = spec.name?.trim() || `${spec.kind} η ${spec.etas.join(', ')}`;
  return [base, conditionLabel(condition), `seed ${seed}`].filter(Boolean).join(' · ');
}

/** Number of runs a spec expands into (conditions × seeds). */
export function runCount(spec: ExperimentSpec): number {
  return (spec.vary?.values.length ?? 1) * spec.seeds.length;
}

/** Expands a validated spec into its runs: for each condition (in order), each seed (in order). */
export function expandSweep(spec: ExperimentSpec): PlannedRun[] {
  const total = runCount(spec);
  if (total > MAX_RUNS_PER_SWEEP) throw new SpecError(`This sweep would queue ${total} runs; at most ${MAX_RUNS_PER_SWEEP} can be queued at once. Use fewer seeds or values.`);
  const { vary, ...base } = spec;
  const conditions: PlannedRun['condition'][] = vary ? vary.values.map((value) => ({ field: vary.field, value })) : [null];
  return conditions.flatMap((condition) =>
    spec.seeds.map((seed) => {
      let runSpec: ExperimentSpec = { ...base, seeds: [seed] };
      if (condition) runSpec = setAt(runSpec, condition.field, condition.value);
      return { spec: runSpec, seed, condition, label: runLabel(spec, seed, condition) };
    }),
  );
}

/** The seed of a single-run spec. */
export function singleSeed(spec: ExperimentSpec): number {
  if (spec.seeds.length !== 1 || spec.vary) throw new SpecError(`This spec is a sweep of ${runCount(spec)} runs; run it from the workspace or expand it first.`);
  return spec.seeds[0];
}
