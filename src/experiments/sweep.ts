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

function defaultName(spec: ExperimentSpec): string {
  if (spec.kind === 'privatize') return `privatize η ${spec.etas.join(', ')}`;
  if (spec.kind === 'train') return `train ${spec.condition}${spec.condition === 'clean-prompt-tuning' || spec.condition === 'linear-probe' ? '' : ` η ${spec.eta}`}`;
  return `compare η ${spec.etas.join(', ')}`;
}

export function runLabel(spec: ExperimentSpec, seed: number | null, condition: PlannedRun['condition']): string {
  const base = spec.name?.trim() || defaultName(spec);
  return [base, conditionLabel(condition), seed === null ? '' : `seed ${seed}`].filter(Boolean).join(' · ');
}

/** Number of runs a spec expands into (conditions × seeds). */
export function runCount(spec: ExperimentSpec): number {
  // A compare experiment is one run: its cells (condition × η × seed) make one results table.
  if (spec.kind === 'compare') return 1;
  return ((spec.kind === 'privatize' ? spec.vary?.values.length : undefined) ?? 1) * spec.seeds.length;
}

/** Expands a validated spec into its runs: for each condition (in order), each seed (in order). */
export function expandSweep(spec: ExperimentSpec): PlannedRun[] {
  const total = runCount(spec);
  if (total > MAX_RUNS_PER_SWEEP) throw new SpecError(`This sweep would queue ${total} runs; at most ${MAX_RUNS_PER_SWEEP} can be queued at once. Use fewer seeds or values.`);
  if (spec.kind === 'compare') return [{ spec, seed: spec.seeds[0], condition: null, label: runLabel(spec, null, null) }];
  const vary = spec.kind === 'privatize' ? spec.vary : undefined;
  const base = spec.kind === 'privatize' ? (({ vary: _vary, ...rest }) => rest)(spec) : spec;
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
  if (spec.seeds.length !== 1 || (spec.kind === 'privatize' && spec.vary)) throw new SpecError(`This spec is a sweep of ${runCount(spec)} runs; run it from the workspace or expand it first.`);
  return spec.seeds[0];
}
