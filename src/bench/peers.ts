// The libraries the benchmark measures our WGSL kernels against, in the same page and on the same adapter
// (each opens its own GPUDevice from it; nothing runs concurrently — every case awaits its work):
//   TensorFlow.js 4.22 with its webgpu backend (@tensorflow/tfjs + @tensorflow/tfjs-backend-webgpu)
//   jax-js 0.1.25 on webgpu (@jax-js/jax: init('webgpu'), defaultDevice('webgpu'), jit)
// Both are imported lazily, so a peer that fails to load or to open its device fails its own rows with the
// error, never the benchmark. Each peer's device errors are collected (a validation error would otherwise
// only mean silently wrong numbers) and reported with its rows.
//
// One adjustment to TF.js, without which its USE-Lite graph cannot run here. Graph execution reads op
// parameters (shapes, axes, the sparse input's dense shape) synchronously with dataSync(); for a tensor
// already on the GPU the webgpu backend reads it back by drawing through an OffscreenCanvas 'webgpu'
// context, and under headless Chromium + SwiftShader that fails ("Failed to execute 'mapAsync' on
// 'GPUBuffer': A valid external Instance reference no longer exists") and takes the WebGPU instance down
// with it — every device in the page, ours and jax-js's too. keepCpuCopies() therefore
//   - keeps the CPU copy of int32/bool tensors (ids, indices, shapes) and of float tensors under
//     SMALL_TENSOR_ELEMENTS elements when the backend uploads them (TF.js tensors are immutable; the few
//     kernels that write into an existing tensor's buffer drop its copy), so those reads need no readback;
//   - lets the backend's own CPU forwarding (WEBGPU_CPU_FORWARD: an op runs on the CPU when all its inputs
//     are there and small) take integer ops of any size — the graph's sparse-input bookkeeping on indices
//     [N, 2] (N = batch·length ≥ 1000 here) would otherwise run on the GPU and produce the dense shape
//     that a later op reads synchronously;
//   - refuses any other synchronous readback with an error naming the tensor instead of attempting it.
// No float kernel and no float activation changes place.

export type Tf = typeof import('@tensorflow/tfjs');
export type Jax = typeof import('@jax-js/jax');

/** What the benchmark touches of TF.js's WebGPUBackend (public members, untyped in @tensorflow/tfjs). */
interface TfWebGpuBackend {
  device: GPUDevice;
  queue: GPUQueue;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  uploadToGPU(dataId: object): void;
  readSync(dataId: object): unknown;
  shouldExecuteOnCPU(inputs: { dataId: object; shape: number[] }[], sizeThreshold?: number): boolean;
  runWebGPUProgram(program: unknown, inputs: unknown[], outputDtype: string, uniforms?: unknown, output?: { dataId: object }): unknown;
  tensorMap: { get(dataId: object): { values: unknown; shape: number[]; dtype: string; resource?: unknown } | undefined };
}

export interface TfPeer {
  tf: Tf;
  /** e.g. "@tensorflow/tfjs 4.22.0 (tfjs-core 4.22.0), backend webgpu". */
  label: string;
  /** Submits TF.js's pending commands and waits until the GPU has run them (no readback). */
  finish(): Promise<void>;
  /** Uncaptured errors of TF.js's device so far. */
  errors: string[];
  adjustments: string[];
}

export interface JaxPeer {
  jax: Jax;
  label: string;
  errors: string[];
}

/** TF.js parameter tensors (shapes, axes, scalars) are far smaller than this; activations far larger. */
const SMALL_TENSOR_ELEMENTS = 4096;
/** WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD's default: float ops on CPU-resident inputs below it run on the CPU. */
const TF_CPU_HANDOFF_ELEMENTS = 1000;

function collectErrors(device: GPUDevice, errors: string[]): void {
  device.addEventListener('uncapturederror', (e) => {
    if (errors.length < 20) errors.push((e as GPUUncapturedErrorEvent).error.message);
  });
  void device.lost.then((info) => errors.push(`device lost: ${info.message || info.reason}`));
}

function keepCpuCopies(backend: TfWebGpuBackend): void {
  const upload = backend.uploadToGPU.bind(backend);
  backend.uploadToGPU = (dataId: object) => {
    const data = backend.tensorMap.get(dataId);
    const values = data?.values;
    upload(dataId);
    const keep = data && (data.dtype !== 'float32' || data.shape.reduce((a, b) => a * b, 1) < SMALL_TENSOR_ELEMENTS);
    if (keep && values) data.values = values;
  };
  // A few kernels (SparseToDense, scatter) write their result into an existing tensor's buffer: that
  // tensor's CPU copy is then stale and must go.
  const runProgram = backend.runWebGPUProgram.bind(backend);
  backend.runWebGPUProgram = (program, inputs, outputDtype, uniforms, output) => {
    const result = runProgram(program, inputs, outputDtype, uniforms, output);
    const written = output && backend.tensorMap.get(output.dataId);
    if (written) written.values = null;
    return result;
  };
  backend.shouldExecuteOnCPU = (inputs, sizeThreshold = TF_CPU_HANDOFF_ELEMENTS) =>
    inputs.every((input) => {
      const data = backend.tensorMap.get(input.dataId);
      return data?.values != null && (data.dtype !== 'float32' || input.shape.reduce((a, b) => a * b, 1) < sizeThreshold);
    });
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId: object) => {
    const data = backend.tensorMap.get(dataId);
    if (data && data.values == null && data.resource != null) {
      throw new Error(
        `TF.js asked for a synchronous GPU readback of a ${data.dtype} [${data.shape.join(', ')}] tensor; on this browser that ` +
          'readback (through an OffscreenCanvas webgpu context) destroys the WebGPU instance, so it is refused',
      );
    }
    return readSync(dataId);
  };
}

let tfPeer: Promise<TfPeer> | null = null;
let jaxPeer: Promise<JaxPeer> | null = null;

/** TF.js on its webgpu backend (opened once per page; a failure is remembered and rethrown). */
export function openTf(): Promise<TfPeer> {
  tfPeer ??= (async () => {
    const tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) throw new Error("TF.js could not initialise its 'webgpu' backend");
    await tf.ready();
    const backend = tf.backend() as unknown as TfWebGpuBackend;
    const errors: string[] = [];
    collectErrors(backend.device, errors);
    keepCpuCopies(backend);
    return {
      tf,
      label: `@tensorflow/tfjs ${tf.version.tfjs} (tfjs-core ${tf.version['tfjs-core']}), backend ${tf.getBackend()}`,
      async finish() {
        backend.ensureCommandEncoderReady();
        backend.endComputePassEncoder();
        backend.submitQueue();
        await backend.queue.onSubmittedWorkDone();
      },
      errors,
      adjustments: [
        `CPU copies kept for uploaded int32/bool tensors and float tensors under ${SMALL_TENSOR_ELEMENTS} elements, so graph ` +
          'execution needs no synchronous GPU readback (which crashes WebGPU under headless Chromium; see src/bench/peers.ts)',
      ],
    };
  })();
  return tfPeer;
}

/** jax-js with its webgpu device as the default device (opened once per page). */
export function openJax(): Promise<JaxPeer> {
  jaxPeer ??= (async () => {
    const jax = await import('@jax-js/jax');
    const devices = await jax.init('webgpu');
    if (!devices.includes('webgpu')) throw new Error(`jax-js init('webgpu') returned [${devices.join(', ')}]: no webgpu device`);
    jax.defaultDevice('webgpu');
    const errors: string[] = [];
    collectErrors(jax.getWebGPUDevice(), errors);
    return { jax, label: '@jax-js/jax on webgpu (jit)', errors };
  })();
  return jaxPeer;
}

/** A short text for a thrown value, for rows that record a failure. */
export function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/** What was loaded of the peers opened so far (a peer never opened is not listed). */
export async function peerSummary(): Promise<{ loaded: Record<string, string>; adjustments: string[]; failures: Record<string, string> }> {
  const loaded: Record<string, string> = {};
  const adjustments: string[] = [];
  const failures: Record<string, string> = {};
  const entries: [string, Promise<TfPeer | JaxPeer> | null][] = [
    ['tfjs', tfPeer],
    ['jax-js', jaxPeer],
  ];
  for (const [name, peer] of entries) {
    if (!peer) continue;
    try {
      const p = await peer;
      loaded[name] = p.label;
      if ('adjustments' in p) adjustments.push(...p.adjustments.map((a) => `${name}: ${a}`));
    } catch (e) {
      failures[name] = errorText(e);
    }
  }
  return { loaded, adjustments, failures };
}
