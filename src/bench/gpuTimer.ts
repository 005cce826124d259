// GPU-side timing for the benchmark. TimedRuntime is the engine's GpuRuntime with one addition: while
// `collect` runs, every compute dispatch gets its own pass with timestamp writes (feature
// 'timestamp-query'), so the unchanged Privatizer, kernel wrappers and encoders report how long each shader
// ran on the GPU. Two routes lead there: kernel wrappers that record through `dispatch` (the privatizer),
// and prepared-dispatch lists that encodeDispatches records into one compute pass inside `submit` (the
// transformer encoders) — there the command encoder handed to the recorder is wrapped so that the one pass
// is split into a pass per dispatch (same pipelines, bind groups and order; WebGPU orders storage writes
// between passes as it does between dispatches). Outside `collect` it behaves exactly like GpuRuntime.
// Chromium quantises timestamps (100 µs unless developer features are on); the kernels measured here run
// for milliseconds or more.
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

/** One timed pass (one dispatch while collecting), in dispatch order. */
export interface PassTime {
  /** The pipeline's full label: shader path, entry point and override constants (runtime.pipeline's key). */
  label: string;
  gpuMs: number;
}

export interface Collected<T> {
  value: T;
  /** Per kernel, in order of first dispatch; empty without timestamp-query. */
  kernels: KernelTime[];
  /** Every timed pass in order (what `kernels` sums up); empty without timestamp-query. */
  passes: PassTime[];
  untimedPasses: number;
}

export class TimedRuntime extends GpuRuntime {
  readonly hasTimestamps: boolean;
  private readonly querySet: GPUQuerySet | null;
  private readonly resolveBuffer: GPUBuffer | null;
  private recording: { label: string }[] | null = null;
  private untimed = 0;
  /** Splitting wrappers (see splittingEncoder) → the encoder they wrap. */
  private readonly unwrapped = new WeakMap<GPUCommandEncoder, GPUCommandEncoder>();

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
    if (!this.recording) {
      super.dispatch(encoder, pipeline, group, workgroups);
      return;
    }
    const pass = this.beginTimedPass(encoder, pipeline.label);
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1);
    pass.end();
  }

  /** While collecting, records through an encoder that gives every dispatch its own timestamped pass. */
  override submit(what: string, record: (encoder: GPUCommandEncoder) => void): Promise<void> {
    if (!this.recording || !this.querySet) return super.submit(what, record);
    return super.submit(what, (encoder) => record(this.splittingEncoder(encoder)));
  }

  /** Begins one pass with the next free timestamp slots (or none, counted as untimed, when they run out). */
  private beginTimedPass(wrapped: GPUCommandEncoder, label: string): GPUComputePassEncoder {
    const encoder = this.unwrapped.get(wrapped) ?? wrapped;
    const rec = this.recording;
    if (!rec || !this.querySet || rec.length >= MAX_TIMED_PASSES) {
      if (rec) this.untimed++;
      return encoder.beginComputePass();
    }
    const slot = rec.length;
    rec.push({ label });
    return encoder.beginComputePass({
      timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * slot, endOfPassWriteIndex: 2 * slot + 1 },
    });
  }

  /**
   * `encoder` with beginComputePass replaced: passes that already carry timestamp writes go through as they
   * are; any other pass is recorded lazily and every dispatchWorkgroups becomes a pass of its own. Only the
   * pass methods the engine uses are supported; anything else throws rather than mis-time silently.
   */
  private splittingEncoder(encoder: GPUCommandEncoder): GPUCommandEncoder {
    const beginComputePass = (descriptor?: GPUComputePassDescriptor): GPUComputePassEncoder => {
      if (descriptor?.timestampWrites) return encoder.beginComputePass(descriptor);
      let pipeline: GPUComputePipeline | null = null;
      const groups = new Map<number, GPUBindGroup>();
      const pass = {
        label: descriptor?.label ?? '',
        setPipeline(p: GPUComputePipeline) {
          pipeline = p;
        },
        setBindGroup(index: number, group: GPUBindGroup | null) {
          if (group) groups.set(index, group);
          else groups.delete(index);
        },
        dispatchWorkgroups: (x: number, y?: number, z?: number) => {
          if (!pipeline) throw new Error('TimedRuntime: dispatchWorkgroups before setPipeline');
          const real = this.beginTimedPass(encoder, pipeline.label);
          real.setPipeline(pipeline);
          for (const [index, group] of groups) real.setBindGroup(index, group);
          real.dispatchWorkgroups(x, y ?? 1, z ?? 1);
          real.end();
        },
        end() {},
      };
      return new Proxy(pass, {
        get(target, prop) {
          if (prop in target) return target[prop as keyof typeof target];
          throw new Error(`TimedRuntime: compute pass method ${String(prop)} is not supported while collecting timestamps`);
        },
      }) as unknown as GPUComputePassEncoder;
    };
    const wrapped = new Proxy(encoder, {
      get(target, prop) {
        if (prop === 'beginComputePass') return beginComputePass;
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    this.unwrapped.set(wrapped, encoder);
    return wrapped;
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
    const timed = passes.length && this.querySet ? await this.resolve(passes) : [];
    return { value, kernels: byKernel(timed), passes: timed, untimedPasses: this.untimed };
  }

  private async resolve(passes: { label: string }[]): Promise<PassTime[]> {
    const count = 2 * passes.length;
    await this.submit('resolving benchmark timestamps', (enc) => enc.resolveQuerySet(this.querySet!, 0, count, this.resolveBuffer!, 0));
    const ticks = new BigUint64Array(await this.read(this.resolveBuffer!, count * 8));
    return passes.map((p, i) => {
      const begin = ticks[2 * i];
      const end = ticks[2 * i + 1];
      // Some implementations report end < begin for very short passes; count those as zero.
      return { label: p.label, gpuMs: end > begin ? Number(end - begin) / 1e6 : 0 };
    });
  }

  destroyTimers(): void {
    this.querySet?.destroy();
    this.resolveBuffer?.destroy();
  }
}

/** Pass times summed per kernel (shader file), in order of first dispatch. */
function byKernel(passes: readonly PassTime[]): KernelTime[] {
  const kernels = new Map<string, KernelTime>();
  for (const p of passes) {
    const kernel = kernelName(p.label);
    const k = kernels.get(kernel) ?? { kernel, passes: 0, gpuMs: 0 };
    k.passes++;
    k.gpuMs += p.gpuMs;
    kernels.set(kernel, k);
  }
  return [...kernels.values()];
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
