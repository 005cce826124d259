// GPU-side timing for the benchmark. TimedRuntime is the engine's GpuRuntime with one addition: while
// `collect` runs, every compute pass that a kernel wrapper records through `dispatch` gets timestamp writes
// (feature 'timestamp-query'), so the unchanged Privatizer and kernel wrappers report how long each shader
// ran on the GPU. Outside `collect` it behaves exactly like GpuRuntime. Chromium quantises timestamps
// (100 µs unless developer features are on); the kernels measured here run for milliseconds or more.
//
// Without the feature, `collect` returns no kernel times and callers fall back to wall time around
// submit + queue.onSubmittedWorkDone() (timeGpuWork below reports both).

import type { OpenedDevice } from '../gpu/device';
import { GpuRuntime } from '../gpu/runtime';

/** Passes one `collect` can time; more are dispatched untimed (and counted in `untimedPasses`). */
const MAX_TIMED_PASSES = 256;

export interface KernelTime {
  /** Shader file name without folder and extension, e.g. "pairwiseDistances". */
  kernel: string;
  passes: number;
  /** Sum over its passes of (end − beginning) timestamps. */
  gpuMs: number;
}

export interface Collected<T> {
  value: T;
  /** Per kernel, in order of first dispatch; empty without timestamp-query. */
  kernels: KernelTime[];
  untimedPasses: number;
}

export class TimedRuntime extends GpuRuntime {
  readonly hasTimestamps: boolean;
  private readonly querySet: GPUQuerySet | null;
  private readonly resolveBuffer: GPUBuffer | null;
  private recording: { label: string }[] | null = null;
  private untimed = 0;

  constructor(opened: OpenedDevice) {
    super(opened);
    this.hasTimestamps = this.device.features.has('timestamp-query');
    if (this.hasTimestamps) {
      this.querySet = this.device.createQuerySet({ label: 'bench timestamps', type: 'timestamp', count: 2 * MAX_TIMED_PASSES });
      this.resolveBuffer = this.device.createBuffer({
        label: 'bench timestamps resolved',
        size: 2 * MAX_TIMED_PASSES * 8,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      });
    } else {
      this.querySet = null;
      this.resolveBuffer = null;
    }
  }

  override dispatch(encoder: GPUCommandEncoder, pipeline: GPUComputePipeline, group: GPUBindGroup, workgroups: [number, number?]): void {
    const rec = this.recording;
    if (!rec || !this.querySet || rec.length >= MAX_TIMED_PASSES) {
      if (rec) this.untimed++;
      super.dispatch(encoder, pipeline, group, workgroups);
      return;
    }
    const slot = rec.length;
    rec.push({ label: pipeline.label });
    const pass = encoder.beginComputePass({
      timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * slot, endOfPassWriteIndex: 2 * slot + 1 },
    });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1);
    pass.end();
  }

  /** Runs `fn` with pass timestamps on and returns the GPU time of every kernel it dispatched. */
  async collect<T>(fn: () => Promise<T>): Promise<Collected<T>> {
    if (this.recording) throw new Error('TimedRuntime.collect does not nest');
    this.recording = [];
    this.untimed = 0;
    let value: T;
    let passes: { label: string }[];
    try {
      value = await fn();
    } finally {
      passes = this.recording;
      this.recording = null;
    }
    const kernels = passes.length && this.querySet ? await this.resolve(passes) : [];
    return { value, kernels, untimedPasses: this.untimed };
  }

  private async resolve(passes: { label: string }[]): Promise<KernelTime[]> {
    const count = 2 * passes.length;
    await this.submit('resolving benchmark timestamps', (enc) => enc.resolveQuerySet(this.querySet!, 0, count, this.resolveBuffer!, 0));
    const ticks = new BigUint64Array(await this.read(this.resolveBuffer!, count * 8));
    const byKernel = new Map<string, KernelTime>();
    passes.forEach((p, i) => {
      const kernel = kernelName(p.label);
      const begin = ticks[2 * i];
      const end = ticks[2 * i + 1];
      // Some implementations report end < begin for very short passes; count those as zero.
      const ms = end > begin ? Number(end - begin) / 1e6 : 0;
      const k = byKernel.get(kernel) ?? { kernel, passes: 0, gpuMs: 0 };
      k.passes++;
      k.gpuMs += ms;
      byKernel.set(kernel, k);
    });
    return [...byKernel.values()];
  }

  destroyTimers(): void {
    this.querySet?.destroy();
    this.resolveBuffer?.destroy();
  }
}

/** "privacy/pairwiseDistances.wgsl#main#{}" → "pairwiseDistances". */
export function kernelName(pipelineLabel: string): string {
  const file = pipelineLabel.split('#')[0];
  return file.slice(file.lastIndexOf('/') + 1).replace(/\.wgsl$/, '');
}

export interface GpuWorkTime {
  /** performance.now() around submit + queue.onSubmittedWorkDone(). */
  wallMs: number;
  /** Sum of pass timestamps, or null without timestamp-query. */
  gpuMs: number | null;
}

/**
 * Times one submit of `record` on an idle queue: wall time until the queue reports the work done, and the
 * passes' GPU time from timestamps when the adapter has them.
 */
export async function timeGpuWork(runtime: TimedRuntime, what: string, record: (encoder: GPUCommandEncoder) => void): Promise<GpuWorkTime> {
  await runtime.device.queue.onSubmittedWorkDone();
  let wallMs = 0;
  const { kernels } = await runtime.collect(async () => {
    const t0 = performance.now();
    await runtime.submit(what, record);
    await runtime.device.queue.onSubmittedWorkDone();
    wallMs = performance.now() - t0;
  });
  return { wallMs, gpuMs: runtime.hasTimestamps ? kernels.reduce((s, k) => s + k.gpuMs, 0) : null };
}
