// Binds and dispatches the matmul kernels:
//   out[r, c] = act(Σ_k A[r, k]·B[k, c] + bias[c]) + residual[r, c]
//   (transposeB: B given as [n, k]; transposeA: A given as [k, m], out = Aᵀ·B, for weight gradients)
//   shaders/transformer/matmul.wgsl            16×16 outputs per invocation, loads shared across a quad
//                                              (needs the 'subgroups' feature); rows 16-byte aligned
//   shaders/transformer/matmulNoSubgroups.wgsl the same without subgroups
//   shaders/transformer/matmulUnaligned.wgsl   any m, n, k (scalar loads)
// prepare() picks the aligned kernel when k % 4 == 0 and (transposeB or n % 4 == 0) — with transposeA when
// m % 4 == 0 and n % 4 == 0, any k — else the unaligned one.
// Reference: matmulReference.ts.

import { prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { activationCode, type Activation } from './activations';
import { requireBytes, requireDims, requireNoAlias } from './bindings';
import { pipelineOnFirstUse } from './pipelines';

export interface MatmulOptions {
  activation?: Activation;
  /** B is given as [n, k] (e.g. the tied MLM decoder: logits = h · Eᵀ). */
  transposeB?: boolean;
  /** A is given as [k, m]: out = Aᵀ·B (weight gradients dW = Xᵀ·dY). Not together with transposeB. */
  transposeA?: boolean;
  bias?: boolean;
  residual?: boolean;
  /** Use quad-shared loads; defaults to whether the device has the 'subgroups' feature. */
  subgroups?: boolean;
}

export interface MatmulBindings {
  /** f32 [m, k], or [k, m] with transposeA */
  a: Binding;
  /** f32 [k, n], or [n, k] with transposeB */
  b: Binding;
  /** f32 [n]; required exactly when the kernel was created with bias */
  bias?: Binding;
  /** f32 [m, n]; required exactly when created with residual; must not alias out */
  residual?: Binding;
  /** f32 [m, n] */
  out: Binding;
  m: number;
  n: number;
  k: number;
}

/** Outputs per workgroup edge: 4 × 4 quads of 2 × 2 invocations of 16 × 16 outputs (matmulCore.wgsl). */
const TILE = 128;

export class MatmulKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly options: Readonly<Required<MatmulOptions>>,
    private readonly constants: Record<string, number>,
    private readonly aligned: GPUComputePipeline,
    private readonly unused: GPUBuffer,
  ) {}

  static async create(runtime: GpuRuntime, options: MatmulOptions = {}): Promise<MatmulKernel> {
    const o: Required<MatmulOptions> = {
      activation: options.activation ?? 'none',
      transposeB: options.transposeB ?? false,
      transposeA: options.transposeA ?? false,
      bias: options.bias ?? false,
      residual: options.residual ?? false,
      subgroups: options.subgroups ?? runtime.device.features.has('subgroups' as GPUFeatureName),
    };
    if (!(o.activation in activationCode)) throw new RangeError(`matmul: unknown activation '${o.activation}'`);
    if (o.transposeA && o.transposeB) throw new RangeError('matmul: transposeA together with transposeB is not supported');
    if (o.subgroups && !runtime.device.features.has('subgroups' as GPUFeatureName)) {
      throw new RangeError("matmul: subgroups requested but the device lacks the 'subgroups' feature");
    }
    const constants = {
      ACTIVATION: activationCode[o.activation],
      HAS_BIAS: o.bias ? 1 : 0,
      HAS_RESIDUAL: o.residual ? 1 : 0,
      TRANSPOSE_B: o.transposeB ? 1 : 0,
      // Only set when on, so the pipelines (and their cache keys) without it are exactly the old ones.
      ...(o.transposeA ? { TRANSPOSE_A: 1 } : {}),
    };
    // The unaligned kernel is compiled on first use: real layer shapes are aligned.
    const aligned = await runtime.pipeline(o.subgroups ? 'transformer/matmul.wgsl' : 'transformer/matmulNoSubgroups.wgsl', 'main', constants);
    return new MatmulKernel(runtime, o, constants, aligned, runtime.storage(16, 'matmul.unused'));
  }

  /**
   * Whether prepare() will use the fast vec4 kernel for this shape. With transposeA the rows of A are m
   * wide, so m decides instead of k (the kernel pads a ragged k itself): pass m then.
   */
  isAligned(n: number, k: number, m?: number): boolean {
    if (this.options.transposeA) {
      if (m === undefined) throw new RangeError('matmul: isAligned needs m for a kernel with transposeA');
      return m % 4 === 0 && n % 4 === 0;
    }
    return k % 4 === 0 && (this.options.transposeB || n % 4 === 0);
  }

  /**
   * Binds one matmul of the given shape. The returned dispatch owns a small uniform buffer (appended as
   * the last binding, matmulCore.wgsl binding 5); destroy it with destroyDispatches.
   */
  prepare(x: MatmulBindings): PreparedDispatch {
    const { m, n, k } = x;
    const name = 'matmul';
    requireDims(name, { m, n, k });
    const o = this.options;
    if (o.bias !== (x.bias !== undefined)) throw new RangeError(`matmul: created with bias=${o.bias} but bias ${x.bias ? 'was' : 'was not'} given`);
    if (o.residual !== (x.residual !== undefined)) {
      throw new RangeError(`matmul: created with residual=${o.residual} but residual ${x.residual ? 'was' : 'was not'} given`);
    }
    requireBytes(name, 'a', x.a, m * k * 4);
    requireBytes(name, 'b', x.b, k * n * 4);
    requireBytes(name, 'out', x.out, m * n * 4);
    if (x.bias) requireBytes(name, 'bias', x.bias, n * 4);
    if (x.residual) requireBytes(name, 'residual', x.residual, m * n * 4);
    requireNoAlias(name, x.out, { a: x.a, b: x.b, bias: x.bias, residual: x.residual });
    const aligned = this.isAligned(n, k, m);
    return prepareDispatch(
      this.runtime,
      `matmul ${o.transposeA ? `(${k}×${m})ᵀ` : `${m}×${k}`}·${k}×${n}${o.transposeB ? 'ᵀ' : ''}`,
      aligned ? this.aligned : pipelineOnFirstUse(this.runtime, 'transformer/matmulUnaligned.wgsl', 'main', this.constants),
      [x.a, x.b, x.bias ?? this.unused, x.residual ?? this.unused, x.out],
      Uint32Array.of(m, n, k, Math.ceil(k / 4)),
      [Math.ceil(n / TILE), Math.ceil(m / TILE)],
    );
  }
}
