// Binds and dispatches shaders/training/crossEntropy.wgsl: per row r with target t_r,
//   losses[r] = −log softmax(logits[r, :])[t_r],  dLogits[r, :] = scale·(softmax − onehot(t_r)),
//   predicted[r] = argmax (lowest index on ties); targets[r] = IGNORED_TARGET (0xFFFFFFFF): zero loss and
//   gradient. Entry point main (a workgroup per row) for many classes, mainRow (an invocation per row) for
//   few; prepare() picks by `classes` unless told. Reference: crossEntropyReference.ts.

import { packParams, prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { requireBytes, requireDims, requireNoAlias } from '../../transformer/kernels/bindings';

export { IGNORED_TARGET } from './crossEntropyReference';

export type CrossEntropyLayout = 'workgroupPerRow' | 'invocationPerRow';

export interface CrossEntropyBindings {
  /** f32 [rows, classes] */
  logits: Binding;
  /** u32 [rows]: class per row, or IGNORED_TARGET (a target ≥ classes is treated as ignored) */
  targets: Binding;
  /** f32 [rows, classes], written: scale·(softmax − onehot(target)); zero rows for ignored rows */
  dLogits: Binding;
  /** f32 [rows], written: unscaled −log softmax[target]; 0 for ignored rows */
  losses: Binding;
  /** u32 [rows], written: argmax per row (also for ignored rows) */
  predicted: Binding;
  rows: number;
  classes: number;
  /** Multiplies the gradient only (e.g. 1/B for a batch mean). */
  scale: number;
  /** Defaults to invocationPerRow when classes ≤ SMALL_CLASSES, else workgroupPerRow. */
  layout?: CrossEntropyLayout;
}

/** Up to this many classes one invocation per row is used (a 64-wide workgroup per row would mostly idle). */
export const SMALL_CLASSES = 64;

/** Workgroup size of both entry points (crossEntropy.wgsl WG). */
const WG = 64;

export class CrossEntropyKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    private readonly perWorkgroup: GPUComputePipeline,
    private readonly perInvocation: GPUComputePipeline,
  ) {}

  static async create(runtime: GpuRuntime): Promise<CrossEntropyKernel> {
    const [perWorkgroup, perInvocation] = await Promise.all([
      runtime.pipeline('training/crossEntropy.wgsl', 'main'),
      runtime.pipeline('training/crossEntropy.wgsl', 'mainRow'),
    ]);
    return new CrossEntropyKernel(runtime, perWorkgroup, perInvocation);
  }

  /** The uniform { rows, classes, scale } is appended as the last binding (5). */
  prepare(x: CrossEntropyBindings): PreparedDispatch {
    const { rows, classes, scale } = x;
    const name = 'crossEntropy';
    requireDims(name, { rows, classes });
    if (!Number.isFinite(scale)) throw new RangeError(`${name}: scale must be finite, got ${scale}`);
    requireBytes(name, 'logits', x.logits, rows * classes * 4);
    requireBytes(name, 'targets', x.targets, rows * 4);
    requireBytes(name, 'dLogits', x.dLogits, rows * classes * 4);
    requireBytes(name, 'losses', x.losses, rows * 4);
    requireBytes(name, 'predicted', x.predicted, rows * 4);
    requireNoAlias(name, x.dLogits, { logits: x.logits, targets: x.targets });
    requireNoAlias(name, x.losses, { logits: x.logits, targets: x.targets, dLogits: x.dLogits });
    requireNoAlias(name, x.predicted, { logits: x.logits, targets: x.targets, dLogits: x.dLogits, losses: x.losses });
    const layout = x.layout ?? (classes <= SMALL_CLASSES ? 'invocationPerRow' : 'workgroupPerRow');
    const perRow = layout === 'invocationPerRow';
    return prepareDispatch(
      this.runtime,
      `${name} ${rows}×${classes}`,
      perRow ? this.perInvocation : this.perWorkgroup,
      [x.logits, x.targets, x.dLogits, x.losses, x.predicted],
      packParams([{ u32: rows }, { u32: classes }, { f32: scale }]),
      this.runtime.rowGrid(perRow ? Math.ceil(rows / WG) : rows),
    );
  }
}
