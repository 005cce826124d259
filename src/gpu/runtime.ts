// The GPU runtime every kernel wrapper goes through: compiled pipelines are cached by shader and entry
// point, storage buffers are recycled, and every batch of work runs inside error scopes so that an
// out-of-memory or validation error becomes a typed GpuError instead of a silent wrong answer.

import { GpuError, gpuOutOfMemory } from './errors';
import { shaderSource } from './shaderSources';
import type { AdapterReport, OpenedDevice } from './device';

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;

export type Binding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

export class GpuRuntime {
  readonly device: GPUDevice;
  readonly report: AdapterReport;
  readonly lost: Promise<GpuError>;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private lostError: GpuError | null = null;

  constructor(opened: OpenedDevice) {
    this.device = opened.device;
    this.report = opened.report;
    this.lost = opened.lost;
    void this.lost.then((e) => (this.lostError = e));
  }

  get maxBindingBytes(): number {
    return this.device.limits.maxStorageBufferBindingSize;
  }

  /** Compiles (once) the entry point of a shader file; compilation errors name the file and line. */
  async pipeline(shaderPath: string, entryPoint = 'main', constants?: Record<string, number>): Promise<GPUComputePipeline> {
    const key = `${shaderPath}#${entryPoint}#${JSON.stringify(constants ?? {})}`;
    const cached = this.pipelines.get(key);
    if (cached) return cached;
    const module = this.device.createShaderModule({ label: shaderPath, code: shaderSource(shaderPath) });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      const detail = errors.map((m) => `${shaderPath}:${m.lineNum}:${m.linePos} ${m.message}`).join('\n');
      throw new GpuError('validation', `WGSL compilation failed:\n${detail}`);
    }
    const pipeline = await this.device.createComputePipelineAsync({
      label: key,
      layout: 'auto',
      compute: { module, entryPoint, ...(constants ? { constants } : {}) },
    });
    this.pipelines.set(key, pipeline);
    return pipeline;
  }

  storage(bytes: number, label: string): GPUBuffer {
    this.throwIfLost();
    // Zero-sized bindings are invalid; 16 bytes keeps vec4 arrays legal for empty inputs.
    return this.device.createBuffer({ label, size: Math.max(16, align(bytes, 16)), usage: STORAGE });
  }

  uniform(words: ArrayBuffer, label: string): GPUBuffer {
    const buffer = this.device.createBuffer({
      label,
      size: Math.max(16, align(words.byteLength, 16)),
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.device.queue.writeBuffer(buffer, 0, words);
    return buffer;
  }

  write(buffer: GPUBuffer, data: ArrayBufferView, offsetBytes = 0): void {
    // Our typed arrays never view a SharedArrayBuffer; the cast only satisfies @webgpu/types.
    this.device.queue.writeBuffer(buffer, offsetBytes, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  }

  bindGroup(pipeline: GPUComputePipeline, bindings: Binding[]): GPUBindGroup {
    return this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: bindings.map((b, binding) => ({
        binding,
        resource: 'buffer' in b && !(b instanceof GPUBuffer) ? b : { buffer: b as GPUBuffer },
      })),
    });
  }

  /** Records one compute pass; `workgroups` beyond the per-dimension limit are folded into y. */
  dispatch(encoder: GPUCommandEncoder, pipeline: GPUComputePipeline, group: GPUBindGroup, workgroups: [number, number?]): void {
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1);
    pass.end();
  }

  /**
   * Runs `record` (which encodes passes) and submits it inside out-of-memory and validation error scopes.
   * `what` finishes the sentence "the GPU ran out of memory while …".
   */
  async submit(what: string, record: (encoder: GPUCommandEncoder) => void): Promise<void> {
    this.throwIfLost();
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    const encoder = this.device.createCommandEncoder({ label: what });
    record(encoder);
    this.device.queue.submit([encoder.finish()]);
    const validation = await this.device.popErrorScope();
    const oom = await this.device.popErrorScope();
    if (oom) throw gpuOutOfMemory(what);
    if (validation) throw new GpuError('validation', `GPU validation error while ${what}: ${validation.message}`);
    this.throwIfLost();
  }

  /** Copies a storage buffer back to the CPU. Only used for the results the caller shows. */
  async read(buffer: GPUBuffer, bytes: number, offsetBytes = 0): Promise<ArrayBuffer> {
    const staging = this.device.createBuffer({ size: align(bytes, 4), usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    try {
      await this.submit('reading results back', (enc) => enc.copyBufferToBuffer(buffer, offsetBytes, staging, 0, align(bytes, 4)));
      await staging.mapAsync(GPUMapMode.READ);
      this.throwIfLost();
      return staging.getMappedRange().slice(0, bytes);
    } finally {
      staging.destroy();
    }
  }

  /** Workgroup grid for one workgroup per row, folding rows past the per-dimension limit into y. */
  rowGrid(rows: number): [number, number] {
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (rows <= max) return [Math.max(rows, 1), 1];
    return [max, Math.ceil(rows / max)];
  }

  private throwIfLost(): void {
    if (this.lostError) throw this.lostError;
  }
}

export const align = (n: number, to: number) => Math.ceil(n / to) * to;
