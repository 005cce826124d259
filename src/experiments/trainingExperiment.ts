// Runs `train` and `compare` experiments through the engine: load the labelled data, take the seeded
// subsets, and train each condition (engine.train; the worker privatises on its user side). A compare
// experiment is the table of rapt-method.md §5: every condition × η × seed on the same data, with the mean
// and spread of the accuracy per (condition, η). The headless runner and the app's workspace both call this.

import type { AdapterReport } from '../gpu/device';
import type { ModelInfo } from '../model/loadedModel';
import { parseLabelledFile, type LabelledDataset, type LabelledBadRow } from '../data/labelledDataset';
import { detectFormat } from '../data/tabular';
import { subsetIndices } from '../training/batching';
import type { LabelledText, TrainCheckpoint, TrainProgress, TrainRequest, TrainResult } from '../training/trainTypes';
import { callback } from '../worker/engineClient';
import { SpecError, type CompareExperimentSpec, type TrainExperimentSpec, type TrainingSpec } from './schema';
import { CONDITION_LABELS, PRIVATISED_CONDITIONS, type Condition } from './trainingSchema';
import { singleSeed } from './sweep';
import type { z } from 'zod';
import type { labelledSourceSchema } from './trainingSchema';

type LabelledSource = z.infer<typeof labelledSourceSchema>;

/** The hold-out of a dataset without a separate evaluation file is fixed (seed 0), so every seed is scored on the same examples. */
export const HOLDOUT_SEED = 0;

export interface TrainingData {
  train: LabelledDataset;
  trainName: string;
  /** null: a hold-out of `train`. */
  dev: LabelledDataset | null;
  devName: string;
}

export interface DataSummary {
  train: { name: string; rows: number; used: number; badRows: number; firstBadRows: LabelledBadRow[]; classCounts: number[] };
  dev: { name: string; rows: number; used: number; badRows: number; firstBadRows: LabelledBadRow[] };
  labelNames: string[];
}

async function loadSource(source: LabelledSource, readFile: (path: string) => Promise<string>, fetchAsset: (path: string) => Promise<unknown>): Promise<{ data: LabelledDataset; name: string }> {
  if (source.kind === 'bundled') {
    const data = (await fetchAsset('data/imdb-sentences.json')) as { name: string; labels: string[]; items: { text: string; label: number }[] };
    const examples = data.items.map((i) => ({ text: i.text, label: i.label }));
    const classCounts = data.labels.map((_, c) => examples.filter((e) => e.label === c).length);
    return { name: data.name, data: { examples, labelNames: [...data.labels], classCounts, rowOf: examples.map((_, i) => i + 1), badRows: [] } };
  }
  const format = source.format ?? detectFormat(source.path);
  if (!format || format === 'text') throw new SpecError(`Cannot tell the format of ${source.path}; set format to csv, tsv or jsonl (a labelled file needs a label column).`);
  const data = parseLabelledFile(await readFile(source.path), format, { textColumn: source.textColumn, labelColumn: source.labelColumn });
  return { name: source.path, data };
}

/** Reads the spec's training and evaluation files (or the bundled sentences). */
export async function loadTrainingData(spec: TrainingSpec, readFile: (path: string) => Promise<string>, fetchAsset: (path: string) => Promise<unknown>): Promise<TrainingData> {
  const train = await loadSource(spec.data.train, readFile, fetchAsset);
  const dev = spec.data.dev ? await loadSource(spec.data.dev, readFile, fetchAsset) : null;
  if (dev && dev.data.labelNames.join('\u0000') !== train.data.labelNames.join('\u0000')) {
    throw new SpecError(`The evaluation labels (${dev.data.labelNames.join(', ')}) differ from the training labels (${train.data.labelNames.join(', ')}).`);
  }
  if (train.data.labelNames.length < 2) throw new SpecError(`The training data has ${train.data.labelNames.length} label value(s); a classifier needs at least two.`);
  return { train: train.data, trainName: train.name, dev: dev?.data ?? null, devName: dev?.name ?? `hold-out of ${train.name}` };
}

/** The examples one seed trains and evaluates on. The subset is nested across sizes (batching.ts). */
export function splitForSeed(spec: TrainingSpec, data: TrainingData, seed: number): { train: LabelledText[]; dev: LabelledText[]; summary: DataSummary } {
  const all = data.train.examples;
  let devExamples: LabelledText[];
  let pool: LabelledText[];
  if (data.dev) {
    devExamples = data.dev.examples.slice(0, spec.data.devSize);
    pool = all;
  } else {
    if (all.length < spec.data.devSize + 8) throw new SpecError(`The data has ${all.length} examples: too few for a hold-out of ${spec.data.devSize} plus training examples.`);
    const held = new Set(subsetIndices(all.length, spec.data.devSize, HOLDOUT_SEED));
    devExamples = [...held].map((i) => all[i]);
    pool = all.filter((_, i) => !held.has(i));
  }
  const size = Math.min(spec.data.trainSize, pool.length);
  const train = [...subsetIndices(pool.length, size, seed)].map((i) => pool[i]);
  const summary: DataSummary = {
    train: { name: data.trainName, rows: all.length, used: train.length, badRows: data.train.badRows.length, firstBadRows: data.train.badRows.slice(0, 10), classCounts: data.train.classCounts },
    dev: { name: data.devName, rows: data.dev?.examples.length ?? spec.data.devSize, used: devExamples.length, badRows: data.dev?.badRows.length ?? 0, firstBadRows: data.dev?.badRows.slice(0, 10) ?? [] },
    labelNames: data.train.labelNames,
  };
  return { train, dev: devExamples, summary };
}

export function trainRequest(spec: TrainingSpec, condition: Condition, eta: number, seed: number, split: { train: LabelledText[]; dev: LabelledText[] }, labelNames: string[], resume?: TrainCheckpoint): TrainRequest {
  return {
    condition,
    eta,
    seed,
    train: split.train,
    dev: split.dev,
    labelNames,
    promptLength: spec.prompt.length,
    head: spec.task.head,
    labelWords: spec.task.labelWords,
    rapt: { ...spec.rapt },
    settings: { ...spec.training },
    ...(resume ? { resume } : {}),
  };
}

/** What the training drivers need of the engine: the comlink proxy in the app (callbacks wrapped here), a fake in tests. */
export interface TrainingEngine {
  init(): Promise<AdapterReport>;
  loadModel(id: 'use-lite'): Promise<ModelInfo>;
  currentModel(): Promise<ModelInfo | null>;
  train(request: TrainRequest, onProgress?: (p: TrainProgress) => void, onCheckpoint?: (c: TrainCheckpoint) => void | Promise<void>): Promise<TrainResult>;
}

export interface Environment {
  adapter: AdapterReport;
  userAgent: string;
  appVersion: string;
}

export interface TrainExperimentResult {
  kind: 'train';
  spec: TrainExperimentSpec;
  environment: Environment;
  model: ModelInfo;
  data: DataSummary;
  result: TrainResult;
  seconds: number;
}

/** One cell of a compare experiment's table. */
export interface CompareCell {
  condition: Condition;
  eta: number | null;
  seed: number;
  result: TrainResult;
}

export interface CompareRow {
  condition: Condition;
  label: string;
  eta: number | null;
  accuracies: number[];
  mean: number;
  /** Sample standard deviation over seeds (0 with one seed). */
  std: number;
  min: number;
  max: number;
  /** Mean share of training tokens privatisation changed (0 for clean conditions). */
  changedFraction: number;
}

export interface CompareExperimentResult {
  kind: 'compare';
  spec: CompareExperimentSpec;
  environment: Environment;
  model: ModelInfo;
  data: DataSummary;
  cells: CompareCell[];
  table: CompareRow[];
  seconds: number;
}

export interface TrainingProgress extends TrainProgress {
  /** 0..1 over the whole experiment. */
  overall: number;
  /** "rapt · η 20 · seed 1 (3 of 12)" */
  cell: string;
}

/** The cells of a compare experiment in run order: by seed, then condition, then η (clean conditions once per seed). */
export function compareCells(spec: CompareExperimentSpec): { condition: Condition; eta: number | null; seed: number }[] {
  const cells: { condition: Condition; eta: number | null; seed: number }[] = [];
  for (const seed of spec.seeds) {
    for (const condition of spec.conditions) {
      if (PRIVATISED_CONDITIONS.includes(condition)) for (const eta of spec.etas) cells.push({ condition, eta, seed });
      else cells.push({ condition, eta: null, seed });
    }
  }
  return cells;
}

export function compareTable(cells: readonly CompareCell[]): CompareRow[] {
  const groups = new Map<string, CompareCell[]>();
  for (const c of cells) {
    const key = `${c.condition}|${c.eta ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.values()].map((g) => {
    const accuracies = g.map((c) => c.result.accuracy);
    const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
    const std = accuracies.length > 1 ? Math.sqrt(accuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / (accuracies.length - 1)) : 0;
    return {
      condition: g[0].condition,
      label: CONDITION_LABELS[g[0].condition],
      eta: g[0].eta,
      accuracies,
      mean,
      std,
      min: Math.min(...accuracies),
      max: Math.max(...accuracies),
      changedFraction: g.reduce((a, c) => a + c.result.changedFraction, 0) / g.length,
    };
  });
}

/** The bundled model (loaded if needed), or the one the Models panel loaded. */
async function modelFor(engine: TrainingEngine, spec: TrainingSpec): Promise<ModelInfo> {
  if (spec.model.id === 'use-lite') return engine.loadModel('use-lite');
  const current = await engine.currentModel();
  if (!current) throw new SpecError('This experiment trains the loaded model, and none is loaded: load one in the Models panel first (the headless runner has only the bundled model, use-lite).');
  return current;
}

export async function runTrainExperiment(
  engine: TrainingEngine,
  spec: TrainExperimentSpec,
  data: TrainingData,
  appVersion: string,
  onProgress?: (p: TrainingProgress) => void,
  resume?: TrainCheckpoint,
  onCheckpoint?: (c: TrainCheckpoint) => void | Promise<void>,
): Promise<TrainExperimentResult> {
  const started = performance.now();
  const adapter = await engine.init();
  const model = await modelFor(engine, spec);
  const seed = singleSeed(spec);
  const split = splitForSeed(spec, data, seed);
  const cell = `${spec.condition}${PRIVATISED_CONDITIONS.includes(spec.condition) ? ` · η ${spec.eta}` : ''} · seed ${seed}`;
  const result = await engine.train(
    trainRequest(spec, spec.condition, spec.eta, seed, split, split.summary.labelNames, resume),
    onProgress ? callback((p: TrainProgress) => onProgress({ ...p, overall: p.fraction, cell })) : undefined,
    onCheckpoint ? callback(onCheckpoint) : undefined,
  );
  return { kind: 'train', spec, environment: { adapter, userAgent: navigator.userAgent, appVersion }, model, data: split.summary, result, seconds: (performance.now() - started) / 1000 };
}

/**
 * Runs every cell of a compare experiment in order. `done` holds cells finished earlier (a resumed run);
 * `onCell` is called after each cell so the caller can store progress.
 */
export async function runCompareExperiment(
  engine: TrainingEngine,
  spec: CompareExperimentSpec,
  data: TrainingData,
  appVersion: string,
  onProgress?: (p: TrainingProgress) => void,
  done: readonly CompareCell[] = [],
  onCell?: (cell: CompareCell, all: CompareCell[]) => void | Promise<void>,
): Promise<CompareExperimentResult> {
  const started = performance.now();
  const adapter = await engine.init();
  const model = await modelFor(engine, spec);
  const plan = compareCells(spec);
  const cells: CompareCell[] = [...done];
  let summary: DataSummary | null = null;
  for (const [i, c] of plan.entries()) {
    const split = splitForSeed(spec, data, c.seed);
    summary ??= split.summary;
    if (cells.some((d) => d.condition === c.condition && d.eta === c.eta && d.seed === c.seed)) continue;
    const label = `${c.condition}${c.eta === null ? '' : ` · η ${c.eta}`} · seed ${c.seed} (${i + 1} of ${plan.length})`;
    const result = await engine.train(
      trainRequest(spec, c.condition, c.eta ?? Infinity, c.seed, split, split.summary.labelNames),
      onProgress ? callback((p: TrainProgress) => onProgress({ ...p, overall: (i + p.fraction) / plan.length, cell: label })) : undefined,
    );
    const cell: CompareCell = { ...c, result };
    cells.push(cell);
    await onCell?.(cell, [...cells]);
  }
  return {
    kind: 'compare',
    spec,
    environment: { adapter, userAgent: navigator.userAgent, appVersion },
    model,
    data: summary ?? splitForSeed(spec, data, spec.seeds[0]).summary,
    cells,
    table: compareTable(cells),
    seconds: (performance.now() - started) / 1000,
  };
}
