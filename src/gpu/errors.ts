// Typed GPU failures. The engine worker throws these; the UI turns each into a message that says what
// happened and what the user can do (src/ui/errorMessage.ts). They cross the worker boundary as plain
// objects (see toEngineError), so every field must be structured-cloneable.

export type GpuErrorKind = 'unavailable' | 'out-of-memory' | 'validation' | 'device-lost' | 'internal';

export class GpuError extends Error {
  readonly kind: GpuErrorKind;
  constructor(kind: GpuErrorKind, message: string) {
    super(message);
    this.name = 'GpuError';
    this.kind = kind;
  }
}

export const gpuUnavailable = (why: string) =>
  new GpuError(
    'unavailable',
    `WebGPU is not available: ${why}. Use a recent Chrome, Edge or another browser with WebGPU enabled ` +
      `(on Linux Chrome may need chrome://flags/#enable-unsafe-webgpu), served over https or localhost.`,
  );

export const gpuOutOfMemory = (what: string) =>
  new GpuError(
    'out-of-memory',
    `The GPU ran out of memory while ${what}. Try fewer samples, a shorter text or a smaller model; ` +
      `closing other GPU-heavy tabs also helps. Stored runs are not affected.`,
  );

export const gpuDeviceLost = (reason: string) =>
  new GpuError(
    'device-lost',
    `The GPU device was lost (${reason}). This happens when the driver resets or the tab was in the ` +
      `background too long. Reload the page to start a new device; stored runs are kept.`,
  );
