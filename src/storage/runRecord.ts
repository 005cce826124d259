// One run as it is stored in IndexedDB, exported to JSON and imported back. The parts every kind of run has
// are generic — spec and hashes, seed, environment, status, metric history per step/epoch, summary metrics,
// attack results, a checkpoint reference — and `results` holds what only one kind has:
//   privatize  the per-η statistics (also its checkpoint) and privatised sample sentences;
//   train      the evaluation points, the live progress, the data used and the final outcome; the history
//              holds the learning curve (one point per metric readback); the checkpoint (weights and AdamW
//              state, Float32Arrays) lives under its own key in the checkpoint store (checkpointStore.ts);
//   compare    the finished cells (condition × η × seed, each a train outcome with its curves): the
//              checkpoint a resumed run continues from; the table is computed from them.
// results.kind always equals spec.kind (checked: an imported record cannot pair one kind's spec with
// another's results).
//
// recordVersion is the version of this stored shape (independent of the experiment schema version inside
// `spec`, which migrates on its own). Training results were added without a version bump: every record an
// earlier release wrote (privatize only) is still valid as it is. Records are validated with runRecordSchema
// when read from storage and when imported; a newer recordVersion is refused with a message, never half-read.

import { z } from 'zod';
import type { EtaStatistics } from '../privacy/statistics/etaSweep';
import { parseExperimentSpec, type CompareExperimentSpec, type ExperimentSpec, type PrivatizeExperimentSpec, type TrainExperimentSpec } from '../experiments/schema';
import { SpecError } from '../experiments/specError';
import { CONDITIONS } from '../experiments/trainingSchema';

export const RECORD_VERSION = 1;

export const RUN_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Runs that stopped before the end and can continue from their checkpoint. */
export const RESUMABLE: readonly RunStatus[] = ['interrupted', 'cancelled', 'failed'];

const isoTime = z.iso.datetime();
const hash = z.string().regex(/^[0-9a-f]{64}$/, 'expected a SHA-256 hex digest');
const finite = z.number().finite();
const proportion = z.object({ value: finite.min(0).max(1), standardError: finite.min(0), n: z.number().int().min(0) }).strict();

const etaStatisticsSchema: z.ZodType<EtaStatistics> = z
  .object({
    eta: finite.positive(),
    expectedNoiseRadius: finite,
    occurrences: z.number().int().min(0),
    pUnchanged: proportion,
    meanDistanceMoved: finite,
    meanDistanceMovedWhenChanged: finite.nullable(),
    plausibleDeniability: z
      .object({ draws: z.number().int().min(0), distinctTokens: z.number().int().min(0), meanN: finite, medianN: finite, meanS: finite, medianS: finite })
      .strict(),
    attacks: z
      .object({
        identity: proportion,
        nearestNeighbour: proportion,
        bayes: proportion.extend({ candidates: z.number().int(), draws: z.number().int(), restriction: z.string().max(2000) }).strict().nullable(),
      })
      .strict(),
    seconds: finite.min(0),
  })
  .strict();

const adapterSchema = z
  .object({
    vendor: z.string().max(500),
    architecture: z.string().max(500),
    device: z.string().max(500),
    description: z.string().max(2000),
    isFallbackAdapter: z.boolean(),
    isSoftware: z.boolean(),
    features: z.array(z.string().max(200)).max(200),
    limits: z.record(z.string().max(200), finite),
  })
  .strict();

const environmentSchema = z
  .object({
    adapter: adapterSchema,
    userAgent: z.string().max(2000),
    appVersion: z.string().max(200),
    model: z.object({ id: z.string().max(500), name: z.string().max(500), vocabSize: z.number().int(), embeddingDim: z.number().int(), candidateCount: z.number().int() }).strict().nullable(),
  })
  .strict();

const metricValue = finite.nullable();

const metricPointSchema = z
  .object({
    /** Steps in the order they finished (for privatize: one per η). */
    step: z.number().int().min(0),
    epoch: z.number().int().min(0).nullable(),
    at: isoTime,
    metrics: z.record(z.string().max(200), metricValue),
  })
  .strict();

const attackResultSchema = z
  .object({
    attack: z.enum(['identity', 'nearestNeighbour', 'bayes']),
    eta: finite.positive().nullable(),
    value: finite.min(0).max(1),
    standardError: finite.min(0),
    n: z.number().int().min(0),
    note: z.string().max(2000).nullable(),
  })
  .strict();

const privatizeResultsSchema = z
  .object({
    kind: z.literal('privatize'),
    corpus: z.object({ name: z.string().max(2000), sentences: z.number().int().min(0), sampled: z.number().int().min(0), badRows: z.number().int().min(0) }).strict().nullable(),
    /** Finished η values, in the spec's order; the checkpoint a resumed run continues from. */
    statistics: z.array(etaStatisticsSchema).max(64),
    /** The first sampled sentences privatised (draw 0) at each η: the same seed gives the same text. */
    privatizedSamples: z.array(z.object({ eta: finite.positive(), texts: z.array(z.string().max(100_000)).max(16) }).strict()).max(64),
  })
  .strict();

// ── training results ────────────────────────────────────────────────────────────────────────────────────
// Numbers a diverged run can make non-finite (losses, gradient norms) are stored as null: JSON has no NaN.

const count = z.number().int().min(0);
const share = finite.min(0).max(1);
const maybeFinite = finite.nullable();

const trainPointSchema = z
  .object({
    step: count,
    epoch: count,
    examples: count,
    lossTask: maybeFinite,
    lossRec: maybeFinite,
    trainAccuracy: share.nullable(),
    recAccuracy: share.nullable(),
    gradNorm: maybeFinite,
    lr: maybeFinite,
    examplesPerSecond: maybeFinite,
  })
  .strict();

const evalPointSchema = z.object({ step: count, epoch: count, accuracy: share, loss: maybeFinite, examples: count }).strict();

/** What one training (one condition at one η and seed) ended with: TrainResult without its curves. */
const trainOutcomeSchema = z
  .object({
    condition: z.enum(CONDITIONS),
    eta: finite.positive().nullable(),
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    accuracy: share,
    loss: maybeFinite,
    steps: count,
    trainExamples: count,
    devExamples: count,
    changedFraction: share,
    plainTokens: z.array(count).max(1024).nullable(),
    shape: z.object({ promptLength: count, plainLength: count, reconstructionWidth: count, targetVocab: count, classes: count, trainedParameters: count }).strict(),
    seconds: z.object({ privatise: finite.min(0), train: finite.min(0), evaluate: finite.min(0) }).strict(),
  })
  .strict();

const dataSummarySchema = z
  .object({
    train: z.object({ name: z.string().max(2000), rows: count, used: count, badRows: count, classCounts: z.array(count).max(10_000) }).strict(),
    dev: z.object({ name: z.string().max(2000), rows: count, used: count, badRows: count }).strict(),
    labelNames: z.array(z.string().max(1000)).max(10_000),
  })
  .strict();

/** Where a running training is (kept so a reloaded page shows where it stopped). */
const trainLiveSchema = z
  .object({
    phase: z.enum(['privatising', 'training', 'evaluating']),
    step: count,
    totalSteps: count,
    examplesPerSecond: maybeFinite,
    etaSeconds: maybeFinite,
    /** The compare cell being trained ("rapt · η 20 · seed 1 (3 of 12)"); empty for a train run. */
    cell: z.string().max(500),
  })
  .strict();

const trainResultsSchema = z
  .object({
    kind: z.literal('train'),
    data: dataSummarySchema.nullable(),
    live: trainLiveSchema.nullable(),
    /** Evaluations on the dev set, in step order (the learning curve is the record's history). */
    evals: z.array(evalPointSchema).max(100_000),
    outcome: trainOutcomeSchema.nullable(),
    /** The plain tokens of a fixed-sequence RAPT run as vocabulary pieces (public; for reading). */
    plainTokenText: z.array(z.string().max(200)).max(1024).nullable(),
  })
  .strict();

const compareCellSchema = z
  .object({
    condition: z.enum(CONDITIONS),
    eta: finite.positive().nullable(),
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    outcome: trainOutcomeSchema,
    history: z.array(trainPointSchema).max(100_000),
    evals: z.array(evalPointSchema).max(100_000),
  })
  .strict();

const compareResultsSchema = z
  .object({
    kind: z.literal('compare'),
    data: dataSummarySchema.nullable(),
    live: trainLiveSchema.nullable(),
    /** Finished cells in the order they ran; the checkpoint a resumed run continues from. */
    cells: z.array(compareCellSchema).max(10_000),
  })
  .strict();

const specField = z.unknown().transform((value, ctx): ExperimentSpec => {
  try {
    return parseExperimentSpec(value);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof SpecError ? e.message : 'not a valid experiment spec' });
    return z.NEVER;
  }
});

export const runRecordSchema = z
  .object({
    recordVersion: z.literal(RECORD_VERSION),
    id: z.string().regex(/^run-[a-z0-9-]{1,80}$/, 'expected a run id like run-…'),
    name: z.string().max(300),
    tags: z.array(z.string().min(1).max(40)).max(20),
    createdAt: isoTime,
    updatedAt: isoTime,
    startedAt: isoTime.nullable(),
    finishedAt: isoTime.nullable(),
    spec: specField,
    specHash: hash,
    conditionHash: hash,
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    sweep: z
      .object({
        id: z.string().max(100),
        label: z.string().max(300),
        index: z.number().int().min(0),
        total: z.number().int().min(1),
        condition: z.object({ field: z.string().max(200), value: z.union([z.number(), z.boolean(), z.string().max(200)]) }).strict().nullable(),
      })
      .strict()
      .nullable(),
    /** Order in the queue (smaller runs first); null once the run has left the queue. */
    queuePosition: finite.nullable(),
    environment: environmentSchema.nullable(),
    status: z.enum(RUN_STATUSES),
    failure: z.object({ name: z.string().max(200), message: z.string().max(10_000) }).strict().nullable(),
    progress: z.object({ fraction: finite.min(0).max(1), stage: z.string().max(500) }).strict(),
    /** Compute seconds, summed over the run's attempts. */
    seconds: finite.min(0),
    /** How often the run was interrupted (reload, crash, lost GPU, another model loaded). */
    interruptions: z.number().int().min(0),
    history: z.array(metricPointSchema).max(100_000),
    summary: z.record(z.string().max(200), metricValue),
    attacks: z.array(attackResultSchema).max(10_000),
    /** Where the run's checkpoint is: `kind` says how to read it, `key` is opaque: for privatize runs
     * ('privatize-etas') it names this record's results.statistics, for compare runs ('compare-cells') its
     * results.cells, for train runs ('train-weights') a key of the checkpoint store. */
    checkpoint: z.object({ kind: z.string().max(100), key: z.string().max(500), step: z.number().int().min(0), savedAt: isoTime }).strict().nullable(),
    results: z.discriminatedUnion('kind', [privatizeResultsSchema, trainResultsSchema, compareResultsSchema]),
  })
  .strict()
  .superRefine((run, ctx) => {
    if (run.results.kind !== run.spec.kind) ctx.addIssue({ code: 'custom', path: ['results', 'kind'], message: `a ${run.spec.kind} run cannot hold ${run.results.kind} results` });
  });

export type RunRecord = z.output<typeof runRecordSchema>;
export type PrivatizeResults = z.output<typeof privatizeResultsSchema>;
export type TrainResults = z.output<typeof trainResultsSchema>;
export type CompareResults = z.output<typeof compareResultsSchema>;
export type StoredTrainPoint = z.output<typeof trainPointSchema>;
export type StoredEvalPoint = z.output<typeof evalPointSchema>;
export type TrainOutcome = z.output<typeof trainOutcomeSchema>;
export type StoredCompareCell = z.output<typeof compareCellSchema>;
export type StoredDataSummary = z.output<typeof dataSummarySchema>;
export type TrainLive = z.output<typeof trainLiveSchema>;

/** A run narrowed to one kind: its spec and its results agree (the schema checks it). */
export type PrivatizeRun = RunRecord & { spec: PrivatizeExperimentSpec; results: PrivatizeResults };
export type TrainRun = RunRecord & { spec: TrainExperimentSpec; results: TrainResults };
export type CompareRun = RunRecord & { spec: CompareExperimentSpec; results: CompareResults };

export const isPrivatizeRun = (run: RunRecord): run is PrivatizeRun => run.spec.kind === 'privatize' && run.results.kind === 'privatize';
export const isTrainRun = (run: RunRecord): run is TrainRun => run.spec.kind === 'train' && run.results.kind === 'train';
export const isCompareRun = (run: RunRecord): run is CompareRun => run.spec.kind === 'compare' && run.results.kind === 'compare';

export type RunEnvironment = z.output<typeof environmentSchema>;
export type MetricPoint = z.output<typeof metricPointSchema>;
export type SweepInfo = NonNullable<RunRecord['sweep']>;

export class RunRecordError extends Error {
  override name = 'RunRecordError';
}

/**
 * Steps that bring an older stored record up to date, by the version they start from (none yet: version 1
 * is the first). A step returns the record one version later; validation happens after the last step.
 */
const RECORD_MIGRATIONS: Record<number, (record: Record<string, unknown>) => Record<string, unknown>> = {};

function migrateRunRecord(input: unknown): unknown {
  let record = input;
  for (;;) {
    if (typeof record !== 'object' || record === null || !('recordVersion' in record)) return record;
    const step = typeof record.recordVersion === 'number' ? RECORD_MIGRATIONS[record.recordVersion] : undefined;
    if (!step || record.recordVersion === RECORD_VERSION) return record;
    record = step(record as Record<string, unknown>);
  }
}

/** Validates a stored or imported record (older versions migrated first); the error names the record and every problem. */
export function parseRunRecord(raw: unknown, where = 'run'): RunRecord {
  const input = migrateRunRecord(raw);
  if (typeof input === 'object' && input !== null && 'recordVersion' in input && input.recordVersion !== RECORD_VERSION) {
    const v = input.recordVersion;
    throw new RunRecordError(
      typeof v === 'number' && v > RECORD_VERSION
        ? `${where} was saved by a newer RAPT Lab (stored-run version ${v}; this one reads version ${RECORD_VERSION}).`
        : `${where} has stored-run version ${String(JSON.stringify(v)).slice(0, 40)}, which no RAPT Lab release wrote.`,
    );
  }
  const result = runRecordSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.slice(0, 8).map((i) => `  - ${i.path.length ? i.path.map(String).join('.') : '(record)'}: ${i.message}`);
    const more = result.error.issues.length > 8 ? `\n  … and ${result.error.issues.length - 8} more` : '';
    throw new RunRecordError(`${where} is not a valid run:\n${problems.join('\n')}${more}`);
  }
  return result.data;
}

/** A fresh, unique run id ("run-lx2k9a-3f9c1e"). */
export function newRunId(now = Date.now(), random: () => number = Math.random): string {
  const tail = Math.floor(random() * 36 ** 6).toString(36).padStart(6, '0');
  return `run-${now.toString(36)}-${tail}`;
}

export function newRunRecord(init: {
  id: string;
  name: string;
  spec: ExperimentSpec;
  specHash: string;
  conditionHash: string;
  seed: number;
  sweep: SweepInfo | null;
  queuePosition: number;
  now: string;
}): RunRecord {
  return {
    recordVersion: RECORD_VERSION,
    id: init.id,
    name: init.name,
    tags: [],
    createdAt: init.now,
    updatedAt: init.now,
    startedAt: null,
    finishedAt: null,
    spec: init.spec,
    specHash: init.specHash,
    conditionHash: init.conditionHash,
    seed: init.seed,
    sweep: init.sweep,
    queuePosition: init.queuePosition,
    environment: null,
    status: 'queued',
    failure: null,
    progress: { fraction: 0, stage: 'queued' },
    seconds: 0,
    interruptions: 0,
    history: [],
    summary: {},
    attacks: [],
    checkpoint: null,
    results: emptyResults(init.spec),
  };
}

/** The results of a run that has not started, by kind. */
export function emptyResults(spec: ExperimentSpec): RunRecord['results'] {
  if (spec.kind === 'train') return { kind: 'train', data: null, live: null, evals: [], outcome: null, plainTokenText: null };
  if (spec.kind === 'compare') return { kind: 'compare', data: null, live: null, cells: [] };
  return { kind: 'privatize', corpus: null, statistics: [], privatizedSamples: [] };
}

/** The η values a privatize run has finished (its checkpoint). */
export const finishedEtas = (run: PrivatizeRun): number[] => run.results.statistics.map((s) => s.eta);

/** The η values it still has to run, in the spec's order. */
export function remainingEtas(run: PrivatizeRun): number[] {
  const done = new Set(finishedEtas(run));
  return run.spec.etas.filter((e) => !done.has(e));
}
