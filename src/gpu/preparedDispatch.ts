// A dispatch with its bind group and parameters bound once. Forward (and later backward) passes are lists of
// prepared dispatches built once per (batch, sequence length) shape, so a step allocates nothing: it writes
// its inputs and encodes the list into one compute pass. Each prepared dispatch owns its small uniform
// buffer, so the same kernel can appear many times in one submit with different parameters.

import type { Binding, GpuRuntime } from './runtime';

export interface PreparedDispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
  /** Uniform buffer owned by this dispatch (destroyed with it). */
  params?: GPUBuffer;
}

/** Binds `bindings` (in binding order) plus a uniform of `paramWords` appended as the last binding. */
export function prepareDispatch(
  runtime: GpuRuntime,
  label: string,
  pipeline: GPUComputePipeline,
  bindings: Binding[],
  paramWords: Uint32Array | Float32Array | ArrayBuffer | null,
  workgroups: [number, number?, number?],
): PreparedDispatch {
  let params: GPUBuffer | undefined;
  const all = [...bindings];
  if (paramWords) {
    const buf = paramWords instanceof ArrayBuffer ? paramWords : paramWords.buffer.slice(paramWords.byteOffset, paramWords.byteOffset + paramWords.byteLength);
    params = runtime.uniform(buf as ArrayBuffer, `${label}.params`);
    all.push(params);
  }
  const limit = runtime.device.limits.maxComputeWorkgroupsPerDimension;
  for (const w of workgroups) {
    if (w !== undefined && (w < 1 || w > limit)) throw new RangeError(`${label}: ${w} workgroups in one dimension (limit ${limit})`);
  }
  return {
    label,
    pipeline,
    bindGroup: runtime.bindGroup(pipeline, all),
    workgroups: [workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1],
    params,
  };
}

/** Encodes the dispatches, in order, into one compute pass (WebGPU orders storage writes between them). */
export function encodeDispatches(encoder: GPUCommandEncoder, dispatches: readonly PreparedDispatch[], timestampWrites?: GPUComputePassTimestampWrites): void {
  const pass = encoder.beginComputePass(timestampWrites ? { timestampWrites } : {});
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(...d.workgroups);
  }
  pass.end();
}

/** Packs mixed u32/f32 parameters into one uniform block, in order (each takes 4 bytes). */
export function packParams(values: readonly ({ u32: number } | { f32: number })[]): ArrayBuffer {
  const buf = new ArrayBuffer(Math.max(16, Math.ceil((values.length * 4) / 16) * 16));
  const view = new DataView(buf);
  values.forEach((v, i) => {
    if ('u32' in v) view.setUint32(i * 4, v.u32, true);
    else view.setFloat32(i * 4, v.f32, true);
  });
  return buf;
}

export function destroyDispatches(dispatches: readonly PreparedDispatch[]): void {
  for (const d of dispatches) d.params?.destroy();
}
