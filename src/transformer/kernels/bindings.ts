// Size checks shared by the transformer kernel wrappers: a binding that is too small would not fail in
// WebGPU (reads past the end return zeros or clamp) but silently compute garbage, so prepare() refuses it.

import type { Binding } from '../../gpu/runtime';

/** Bytes visible through a binding (the whole buffer past its offset when no size is given). */
export function bindingBytes(b: Binding): number {
  if (b instanceof GPUBuffer) return b.size;
  return b.size ?? b.buffer.size - (b.offset ?? 0);
}

/** Throws a RangeError naming the kernel and binding when `b` holds fewer than `bytes` bytes. */
export function requireBytes(kernel: string, name: string, b: Binding, bytes: number): void {
  const have = bindingBytes(b);
  if (have < bytes) throw new RangeError(`${kernel}: binding '${name}' has ${have} bytes, needs ${bytes}`);
}

/** Throws a RangeError unless every named dimension is an integer ≥ `min`. */
export function requireDims(kernel: string, dims: Record<string, number>, min = 1): void {
  for (const [name, v] of Object.entries(dims)) {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${kernel}: ${name} must be an integer ≥ ${min}, got ${v}`);
  }
}

/**
 * Throws a RangeError when the output overlaps an input: WebGPU refuses a dispatch that binds one buffer
 * range both read-only and writable, and only says so at submit time.
 */
export function requireNoAlias(kernel: string, out: Binding, inputs: Record<string, Binding | undefined>): void {
  const range = (b: Binding) => {
    const buffer = b instanceof GPUBuffer ? b : b.buffer;
    const offset = b instanceof GPUBuffer ? 0 : (b.offset ?? 0);
    return { buffer, offset, end: offset + bindingBytes(b) };
  };
  const o = range(out);
  for (const [name, b] of Object.entries(inputs)) {
    if (!b) continue;
    const r = range(b);
    if (r.buffer === o.buffer && r.offset < o.end && o.offset < r.end) throw new RangeError(`${kernel}: out overlaps input '${name}'`);
  }
}
