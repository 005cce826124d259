// Binds and dispatches shaders/training/geluBackward.wgsl (two entry points per layout), the BERT FFN and
// MLM-transform activation for training, where the backward needs the pre-activation x:
//   prepareForward   y  = act(x)          (the same activate() the fused matmul epilogue applies)
//   prepareBackward  dX = dY ⊙ act'(x)
// act is the model's hidden_act: 'gelu' (exact erf GELU, BERT's default), 'geluTanh' or 'relu'. Entry
// points forward/backward (vec4) when count % 4 == 0, else forwardScalar/backwardScalar.
// Reference: geluBackwardReference.ts.

import { prepareDispatch, type PreparedDispatch } from '../../gpu/preparedDispatch';
import type { Binding, GpuRuntime } from '../../gpu/runtime';
import { activationCode } from '../../transformer/kernels/activations';
import { requireBytes, requireDims, requireNoAlias } from '../../transformer/kernels/bindings';

/** The activations BERT-family configs use (BertConfig.hiddenAct). */
export type TrainableActivation = 'gelu' | 'geluTanh' | 'relu';

export interface GeluOptions {
  /** Default 'gelu' (exact erf GELU). */
  activation?: TrainableActivation;
}

export interface GeluForwardBindings {
  /** f32 [count]: the pre-activation */
  x: Binding;
  /** f32 [count], written; must not alias x */
  y: Binding;
  count: number;
}

export interface GeluBackwardBindings {
  /** f32 [count]: the pre-activation the forward kept */
  x: Binding;
  /** f32 [count]: gradient with respect to act(x) */
  dY: Binding;
  /** f32 [count], written; must not alias x or dY */
  dX: Binding;
  count: number;
}

type Entry = 'forward' | 'forwardScalar' | 'backward' | 'backwardScalar';

export class GeluKernel {
  private constructor(
    private readonly runtime: GpuRuntime,
    readonly activation: TrainableActivation,
    private readonly pipelines: Readonly<Record<Entry, GPUComputePipeline>>,
  ) {}

  static async create(runtime: GpuRuntime, options: GeluOptions = {}): Promise<GeluKernel> {
    const activation = options.activation ?? 'gelu';
    if (!['gelu', 'geluTanh', 'relu'].includes(activation)) throw new RangeError(`gelu: unsupported activation '${activation}'`);
    const constants = { ACTIVATION: activationCode[activation] };
    const entries: Entry[] = ['forward', 'forwardScalar', 'backward', 'backwardScalar'];
    const compiled = await Promise.all(entries.map((e) => runtime.pipeline('training/geluBackward.wgsl', e, constants)));
    const pipelines = Object.fromEntries(entries.map((e, i) => [e, compiled[i]])) as Record<Entry, GPUComputePipeline>;
    return new GeluKernel(runtime, activation, pipelines);
  }

  /** y = act(x); the uniform { count } is appended as the last binding (2). */
  prepareForward(b: GeluForwardBindings): PreparedDispatch {
    const name = 'gelu.forward';
    const { count } = b;
    checkCount(name, count);
    requireBytes(name, 'x', b.x, count * 4);
    requireBytes(name, 'y', b.y, count * 4);
    requireNoAlias(name, b.y, { x: b.x });
    const vec4 = count % 4 === 0;
    return prepareDispatch(
      this.runtime,
      `${name} (${this.activation}) ${count}${vec4 ? ' (vec4)' : ''}`,
      this.pipelines[vec4 ? 'forward' : 'forwardScalar'],
      [b.x, b.y],
      Uint32Array.of(count, 0, 0, 0),
      this.runtime.rowGrid(Math.ceil((vec4 ? count / 4 : count) / 64)),
    );
  }

  /** dX = dY ⊙ act'(x); the uniform { count } is appended as the last binding (3). */
  prepareBackward(b: GeluBackwardBindings): PreparedDispatch {
    const name = 'gelu.backward';
    const { count } = b;
    checkCount(name, count);
    requireBytes(name, 'x', b.x, count * 4);
    requireBytes(name, 'dY', b.dY, count * 4);
    requireBytes(name, 'dX', b.dX, count * 4);
    requireNoAlias(name, b.dX, { x: b.x, dY: b.dY });
    const vec4 = count % 4 === 0;
    return prepareDispatch(
      this.runtime,
      `${name} (${this.activation}) ${count}${vec4 ? ' (vec4)' : ''}`,
      this.pipelines[vec4 ? 'backward' : 'backwardScalar'],
      [b.x, b.dY, b.dX],
      Uint32Array.of(count, 0, 0, 0),
      this.runtime.rowGrid(Math.ceil((vec4 ? count / 4 : count) / 64)),
    );
  }
}

function checkCount(name: string, count: number): void {
  requireDims(name, { count });
  if (count > 0xffffffff) throw new RangeError(`${name}: count must fit in a u32, got ${count}`);
}
