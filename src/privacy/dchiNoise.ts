// Binds and dispatches shaders/privacy/dchiNoise.wgsl: noisy embeddings E[id] + r·u for a batch of token
// rows. Reference: dchiNoiseReference.ts. If Marsaglia–Tsang rejected 32 times in a row (probability below
// 1e-80) the radius falls back to the Gamma mode d − 1/3.

import type { GpuRuntime } from '../gpu/runtime';
import type { Scratch } from '../gpu/scratch';
import type { DeviceEmbeddingTable } from './deviceTable';
import { seedKey } from './random/philox';

export interface DchiNoiseBindings {
  table: DeviceEmbeddingTable;
  /** vec4<u32> rows (packTokenRows). */
  rows: GPUBuffer;
  /** f32 per row: 1/η, 0 for no noise. */
  invEta: GPUBuffer;
  /** Output, n × dimVec4 vec4<f32>. */
  out: GPUBuffer;
  /** Output, f32 per row. */
  radius: GPUBuffer;
  n: number;
  seed: number;
}

export class DchiNoiseKernel {
  private constructor(private readonly runtime: GpuRuntime, private readonly pipeline: GPUComputePipeline) {}

  static async create(runtime: GpuRuntime): Promise<DchiNoiseKernel> {
    return new DchiNoiseKernel(runtime, await runtime.pipeline('privacy/dchiNoise.wgsl'));
  }

  encode(encoder: GPUCommandEncoder, scratch: Scratch, b: DchiNoiseBindings): void {
    const [lo, hi] = seedKey(b.seed);
    const t = b.table.host;
    const params = scratch.uniform('dchiNoise.params', Uint32Array.of(b.n, t.dim, t.dimVec4, lo, hi, 0, 0, 0));
    const group = this.runtime.bindGroup(this.pipeline, [b.table.rows, b.rows, b.invEta, b.out, b.radius, params]);
    this.runtime.dispatch(encoder, this.pipeline, group, this.runtime.rowGrid(b.n));
  }
}
