// The trained heads on an encoder's final states, as prepared dispatches of a trainer's plan (UseLiteTrainer,
// BertTrainer; docs/training-design.md):
//   task loss        softmax-CE of the task logits (mean over the batch), its loss sum and correct count
//   classifier       pooled = mean of the text rows [start, end_b) → logits = pooled·Wc + bc
//   reconstruction   g = final states at the plain rows → z = g·W2 → logits = z·W1 → softmax-CE (× λ / (B·m))
// Forward dispatches go after the encoder's, backward ones (weight gradients Xᵀ·dY, then the gradient of
// the final states) before the backward through the encoder.

import type { PreparedDispatch } from '../gpu/preparedDispatch';
import type { GpuRuntime } from '../gpu/runtime';
import { GatherRowsKernel } from '../transformer/kernels/gatherRows';
import { MatmulKernel } from '../transformer/kernels/matmul';
import { ColumnSumKernel } from './kernels/columnSum';
import { CrossEntropyKernel } from './kernels/crossEntropy';
import { RangeMeanPoolKernel } from './kernels/rangeMeanPool';
import { CountCorrectKernel, ReduceSumKernel } from './kernels/reduceSum';
import { ScatterAddRowsKernel, plainRowIndex } from './kernels/scatterAddRows';
import { METRIC_SLOT, type ParamSlot } from './trainableParams';

export interface HeadKernels {
  /** out = A·B + bias */
  linear: MatmulKernel;
  /** out = A·B */
  plain: MatmulKernel;
  /** dX = dY·Wᵀ */
  backData: MatmulKernel;
  /** dW = Xᵀ·dY */
  backWeight: MatmulKernel;
  pool: RangeMeanPoolKernel;
  gather: GatherRowsKernel;
  scatter: ScatterAddRowsKernel;
  crossEntropy: CrossEntropyKernel;
  columnSum: ColumnSumKernel;
  reduceSum: ReduceSumKernel;
  countCorrect: CountCorrectKernel;
}

export async function createHeadKernels(runtime: GpuRuntime): Promise<HeadKernels> {
  const [linear, plain, backData, backWeight, pool, gather, scatter, crossEntropy, columnSum, reduceSum, countCorrect] = await Promise.all([
    MatmulKernel.create(runtime, { bias: true }),
    MatmulKernel.create(runtime, {}),
    MatmulKernel.create(runtime, { transposeB: true }),
    MatmulKernel.create(runtime, { transposeA: true }),
    RangeMeanPoolKernel.create(runtime),
    GatherRowsKernel.create(runtime),
    ScatterAddRowsKernel.create(runtime),
    CrossEntropyKernel.create(runtime),
    ColumnSumKernel.create(runtime),
    ReduceSumKernel.create(runtime),
    CountCorrectKernel.create(runtime),
  ]);
  return { linear, plain, backData, backWeight, pool, gather, scatter, crossEntropy, columnSum, reduceSum, countCorrect };
}

/** A plan being built: its activation arena and dispatch lists. */
export interface PlanLists {
  buf(floats: number, label: string): GPUBuffer;
  forward: PreparedDispatch[];
  backward: PreparedDispatch[];
  metrics: PreparedDispatch[];
}

/** The task loss of a head: it writes `logits`, then pushes `crossEntropy`, which writes the rest. */
export interface TaskLoss {
  /** f32 [batch, classes] */
  logits: GPUBuffer;
  /** f32 [batch, classes]: the loss gradient, scaled by 1/batch */
  dLogits: GPUBuffer;
  /** f32 [batch] per example (predict() reads them) */
  losses: GPUBuffer;
  /** u32 [batch] */
  predicted: GPUBuffer;
  crossEntropy: PreparedDispatch;
}

/**
 * The task loss's buffers and softmax-CE against `labels`; loss_task is the mean over the batch (step()
 * batches are full; predict() only reads losses per row). Its loss sum and correct count go to the metrics.
 */
export function prepareTaskLoss(k: HeadKernels, lists: PlanLists, o: { labels: GPUBuffer; batch: number; classes: number; metrics: GPUBuffer }): TaskLoss {
  const { labels, batch, classes } = o;
  const logits = lists.buf(batch * classes, 'task logits');
  const dLogits = lists.buf(batch * classes, 'task dlogits');
  const losses = lists.buf(batch, 'task losses');
  const predicted = lists.buf(batch, 'predicted');
  const crossEntropy = k.crossEntropy.prepare({ logits, targets: labels, dLogits, losses, predicted, rows: batch, classes, scale: 1 / batch });
  lists.metrics.push(k.reduceSum.prepare({ x: losses, out: o.metrics, count: batch, slot: METRIC_SLOT.taskLoss, factor: 1, accumulate: true }));
  lists.metrics.push(k.countCorrect.prepare({ predicted, targets: labels, out: o.metrics, count: batch, slot: METRIC_SLOT.taskCorrect }));
  return { logits, dLogits, losses, predicted, crossEntropy };
}

export interface ClassifierHead {
  /** f32 [batch·seqLen, hidden]: the final states */
  x: GPUBuffer;
  /** u32 [batch]: one past each example's last pooled row */
  ends: GPUBuffer;
  /** The first pooled row of every example. */
  start: number;
  batch: number;
  seqLen: number;
  hidden: number;
  classes: number;
  weight: ParamSlot;
  bias: ParamSlot;
  task: TaskLoss;
  /** f32 [batch·seqLen, hidden], written whole (zero outside the pooled rows): the final states' gradient */
  dX: GPUBuffer;
}

/** Linear classifier on the mean of the rows [start, end_b) of each example, forward and backward. */
export function prepareClassifierHead(k: HeadKernels, lists: PlanLists, o: ClassifierHead): void {
  const { batch, seqLen, hidden, classes, start, task } = o;
  const pooled = lists.buf(batch * hidden, 'pooled');
  const dPooled = lists.buf(batch * hidden, 'dPooled');
  lists.forward.push(k.pool.prepareForward({ x: o.x, lengths: o.ends, out: pooled, batch, seqLen, hidden, start }));
  lists.forward.push(k.linear.prepare({ a: pooled, b: o.weight.value, bias: o.bias.value, out: task.logits, m: batch, n: classes, k: hidden }));
  lists.forward.push(task.crossEntropy);
  lists.backward.push(k.backWeight.prepare({ a: pooled, b: task.dLogits, out: o.weight.grad, m: hidden, n: classes, k: batch }));
  lists.backward.push(k.columnSum.prepare({ x: task.dLogits, out: o.bias.grad, rows: batch, cols: classes }));
  lists.backward.push(k.backData.prepare({ a: task.dLogits, b: o.weight.value, out: dPooled, m: batch, n: hidden, k: classes }));
  lists.backward.push(k.pool.prepareBackward({ dPooled, lengths: o.ends, dX: o.dX, batch, seqLen, hidden, start }));
}

export interface ReconstructionHead {
  /** f32 [batch·seqLen, hidden]: the final states */
  x: GPUBuffer;
  /** Row of the first plain token in every example; the m plain rows follow it. */
  firstRow: number;
  batch: number;
  seqLen: number;
  /** m, plain rows per example (> 0) */
  plainLength: number;
  hidden: number;
  /** c, the inner width */
  width: number;
  /** |T|, the target vocabulary */
  targetVocab: number;
  lambda: number;
  /** u32 [batch·m]: the clean plain-token ids (IGNORED_TARGET on padding examples) */
  targets: GPUBuffer;
  w2: ParamSlot;
  w1: ParamSlot;
  metrics: GPUBuffer;
  /** f32 [batch·seqLen, hidden]: the final states' gradient, added to at the plain rows */
  dX: GPUBuffer;
}

/** RAPT's reconstruction head (no biases), forward and backward; λ/(B·m) is baked into the gradient. */
export function prepareReconstructionHead(runtime: GpuRuntime, k: HeadKernels, lists: PlanLists, o: ReconstructionHead): void {
  const { batch, seqLen, hidden: H, width: c, targetVocab: T, plainLength: m, targets } = o;
  const { buf, forward, backward, metrics } = lists;
  const R = batch * seqLen;
  const rows = batch * m;
  const index = buf(rows, 'plain rows');
  runtime.write(index, plainRowIndex(batch, seqLen, o.firstRow, m));
  const g = buf(rows * H, 'plain states');
  const z = buf(rows * c, 'rec z');
  const recLogits = buf(rows * T, 'rec logits');
  const dRecLogits = buf(rows * T, 'rec dlogits');
  const recLosses = buf(rows, 'rec losses');
  const recPredicted = buf(rows, 'rec predicted');
  const dz = buf(rows * c, 'rec dz');
  const dg = buf(rows * H, 'rec dg');
  forward.push(k.gather.prepare({ x: o.x, index, out: g, rows, cols: H, sourceRows: R }));
  forward.push(k.plain.prepare({ a: g, b: o.w2.value, out: z, m: rows, n: c, k: H }));
  forward.push(k.plain.prepare({ a: z, b: o.w1.value, out: recLogits, m: rows, n: T, k: c }));
  forward.push(k.crossEntropy.prepare({ logits: recLogits, targets, dLogits: dRecLogits, losses: recLosses, predicted: recPredicted, rows, classes: T, scale: o.lambda / rows }));
  metrics.push(k.reduceSum.prepare({ x: recLosses, out: o.metrics, count: rows, slot: METRIC_SLOT.recLoss, factor: 1, accumulate: true }));
  metrics.push(k.countCorrect.prepare({ predicted: recPredicted, targets, out: o.metrics, count: rows, slot: METRIC_SLOT.recCorrect }));
  backward.push(k.backWeight.prepare({ a: z, b: dRecLogits, out: o.w1.grad, m: c, n: T, k: rows }));
  backward.push(k.backData.prepare({ a: dRecLogits, b: o.w1.value, out: dz, m: rows, n: c, k: T }));
  backward.push(k.backWeight.prepare({ a: g, b: dz, out: o.w2.grad, m: H, n: c, k: rows }));
  backward.push(k.backData.prepare({ a: dz, b: o.w2.value, out: dg, m: rows, n: H, k: c }));
  backward.push(k.scatter.prepare({ src: dg, index, dst: o.dX, count: rows, width: H, dstRows: R }));
}
