// Pipelines a kernel wrapper needs only for some shapes, compiled on first use. prepare() is synchronous
// (plans are built in one go), and compiling every variant up front in create() would cost ~0.8 s per
// matmul variant on SwiftShader. device.createComputePipeline returns at once and the first dispatch
// waits for the compiler, so nothing blocks. Cached per device, like GpuRuntime.pipeline.

import type { GpuRuntime } from '../../gpu/runtime';
import { shaderSource } from '../../gpu/shaderSources';

const cache = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

export function pipelineOnFirstUse(runtime: GpuRuntime, shaderPath: string, entryPoint = 'main', constants?: Record<string, number>): GPUComputePipeline {
  const device = runtime.device;
  let pipelines = cache.get(device);
  if (!pipelines) {
    pipelines = new Map();
    cache.set(device, pipelines);
  }
  const key = `${shaderPath}#${entryPoint}#${JSON.stringify(constants ?? {})}`;
  let p = pipelines.get(key);
  if (!p) {
    const module = device.createShaderModule({ label: shaderPath, code: shaderSource(shaderPath) });
    p = device.createComputePipeline({ label: key, layout: 'auto', compute: { module, entryPoint, ...(constants ? { constants } : {}) } });
    pipelines.set(key, p);
  }
  return p;
}
