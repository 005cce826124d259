// Turns any failure into a message box for the user: a title from the error's name, and its message
// (engine and dataset errors are already written for users — see src/gpu/errors.ts). Errors from the engine
// worker arrive through comlink as plain Error objects that keep `name` and `message` only.

export interface UiError {
  id: number;
  /** Human title. */
  title: string;
  /** The error's name (GpuError, ModelLoadError, …) shown as a tag, for bug reports. */
  name: string;
  message: string;
}

const TITLES: Record<string, string> = {
  GpuError: 'GPU error',
  ModelLoadError: 'The model could not be loaded',
  DatasetError: 'The file could not be read',
  RangeError: 'Invalid setting',
  SpecError: 'Invalid experiment',
  TypeError: 'Unexpected error',
  DataCloneError: 'Engine communication error',
  EngineTimeout: 'The engine is not responding',
  ShareLinkError: 'This link cannot be opened',
  ImportError: 'The file was not imported',
  StorageQuotaError: 'Storage is full',
  StorageError: 'The runs could not be saved',
  RunRecordError: 'A stored run cannot be read',
};

function nameAndMessage(e: unknown): { name: string; message: string } {
  if (e instanceof Error || (typeof e === 'object' && e !== null && 'message' in e)) {
    const err = e as { name?: unknown; message?: unknown };
    return {
      name: typeof err.name === 'string' && err.name ? err.name : 'Error',
      message: typeof err.message === 'string' && err.message ? err.message : String(e),
    };
  }
  return { name: 'Error', message: String(e) };
}

export function describeError(e: unknown): Omit<UiError, 'id'> {
  const { name, message } = nameAndMessage(e);
  let title = TITLES[name] ?? 'Something went wrong';
  if (name === 'GpuError') {
    if (/device was lost/i.test(message)) title = 'The GPU device was lost';
    else if (/out of memory/i.test(message)) title = 'The GPU ran out of memory';
    else if (/not available/i.test(message)) title = 'WebGPU is not available';
  }
  return { title, name, message };
}

/** The engine's "WebGPU is not available" error (gpuUnavailable in src/gpu/errors.ts). */
export function isWebGpuUnavailable(e: unknown): boolean {
  const { name, message } = nameAndMessage(e);
  return name === 'GpuError' && /WebGPU is not available/i.test(message);
}

export function isCancelled(e: unknown): boolean {
  return nameAndMessage(e).name === 'CancelledError';
}

/** Why this page cannot use WebGPU, checked on the UI thread before the engine starts; null if it can try. */
export function webGpuMissingReason(env: { isSecureContext: boolean; hasGpu: boolean }): string | null {
  if (env.hasGpu) return null;
  if (!env.isSecureContext) {
    return 'This page was not opened in a secure context (it is served over plain http from an address other than localhost), and browsers only offer WebGPU to secure pages.';
  }
  return 'This browser does not offer WebGPU (navigator.gpu is missing).';
}
