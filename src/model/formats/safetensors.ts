/**
 * Reader for `.safetensors` files, the weights format of Hugging Face checkpoints
 * (https://github.com/huggingface/safetensors, "Format"):
 *
 *   [8 bytes: N, little-endian u64] [N bytes: UTF-8 JSON header] [data section]
 *
 * The header maps each tensor name to `{dtype, shape, data_offsets: [begin, end]}`, offsets relative to the
 * start of the data section, plus an optional `"__metadata__"` object of string → string. Validation follows
 * the reference implementation: the header is at most 100 MB, starts with '{', and the tensors tile the data
 * section exactly — sorted by offset they are back to back from byte 0 to the end of the file, each exactly
 * `elements × dtype size` long. A file that passes here is one the reference loader accepts.
 *
 * Loaded: F32 as is; F16 and BF16 widened to Float32 exactly (every half and bfloat16 value, subnormals,
 * ±inf and NaN included, is representable in float32); I32 as Int32Array and I64 narrowed to Int32Array
 * (refused if a value does not fit), for index buffers such as BERT's `position_ids`. Other dtypes are
 * recognised in the header (so offsets can be checked) but refused on read; `only` skips such tensors.
 */

/** Every dtype the safetensors format defines, with its width in bits. */
const DTYPE_BITS = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  I64: 64,
  U64: 64,
  F64: 64,
  C64: 64,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_BITS;

/** Dtypes {@link readSafetensors} widens to Float32Array. */
export type SafetensorsFloatDtype = 'F32' | 'F16' | 'BF16';
/** Dtypes {@link readSafetensors} returns as Int32Array. */
export type SafetensorsIntDtype = 'I32' | 'I64';

/** Header limit of the reference implementation (`MAX_HEADER_SIZE`). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsTensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** `[begin, end)` relative to the start of the data section. */
  dataOffsets: [begin: number, end: number];
}

export interface SafetensorsHeader {
  /** N, the length of the JSON header in bytes. */
  headerByteLength: number;
  /** Where the data section starts in the file: 8 + N. */
  dataStart: number;
  /** Length of the data section: the end of the last tensor. */
  dataByteLength: number;
  /** The size the whole file must have: 8 + N + data length. */
  fileByteLength: number;
  /** Tensors in data order (ascending offsets). */
  tensors: SafetensorsTensorInfo[];
  /** `"__metadata__"` (e.g. `{format: "pt"}`), or null when the header has none. */
  metadata: Record<string, string> | null;
}

export type SafetensorsTensor =
  | { name: string; shape: number[]; dtype: SafetensorsFloatDtype; data: Float32Array }
  | { name: string; shape: number[]; dtype: SafetensorsIntDtype; data: Int32Array };

/** File contents; a Node `Buffer` (a view into a larger pool) is accepted as is. */
export type SafetensorsBytes = ArrayBuffer | Uint8Array;

export interface ReadSafetensorsOptions {
  /** Decode only tensors this returns true for (the rest are not converted or copied). Default: all. */
  only?: (name: string) => boolean;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** Typed arrays use the host's byte order; safetensors data is little-endian, so a big-endian host must swap. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Validates the header. Needs only the first 8 + N bytes of the file (e.g. from a range request); whether
 * the data section is all there is checked by {@link readSafetensors} (or compare `fileByteLength`).
 */
export function parseSafetensorsHeader(bytes: SafetensorsBytes): SafetensorsHeader {
  const view = asUint8Array(bytes);
  if (view.byteLength < 8) {
    throw new SafetensorsError(
      `truncated: ${view.byteLength} of at least 8 bytes — a safetensors file starts with an 8-byte header ` +
        'length; the download is incomplete or this is not a safetensors file.',
    );
  }
  const declared = new DataView(view.buffer, view.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) {
    throw new SafetensorsError(
      `The header length field says ${declared} bytes, above the ${SAFETENSORS_MAX_HEADER_BYTES}-byte limit ` +
        'of the safetensors format; this is not a safetensors file (is it a PyTorch .bin, or an HTML error page?).',
    );
  }
  const headerByteLength = Number(declared);
  if (headerByteLength < 2) {
    throw new SafetensorsError(
      `The header length field says ${headerByteLength} bytes, too short for a JSON object; this is not a ` +
        'safetensors file.',
    );
  }
  const dataStart = 8 + headerByteLength;
  if (view.byteLength < dataStart) {
    throw new SafetensorsError(
      `truncated: the header length field says ${headerByteLength} bytes but only ${view.byteLength - 8} ` +
        'follow it; the download is incomplete or this is not a safetensors file.',
    );
  }
  const header = decodeHeaderJson(view.subarray(8, dataStart));
  let metadata: Record<string, string> | null = null;
  const tensors: SafetensorsTensorInfo[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') metadata = parseMetadata(entry);
    else tensors.push(parseTensorInfo(name, entry));
  }
  const dataByteLength = checkTiling(tensors);
  return { headerByteLength, dataStart, dataByteLength, fileByteLength: dataStart + dataByteLength, tensors, metadata };
}

/**
 * Validates the whole file and decodes its tensors (all, or those `options.only` selects). Data is always
 * copied into fresh arrays, so `bytes` can be dropped afterwards.
 */
export function readSafetensors(
  bytes: SafetensorsBytes,
  options: ReadSafetensorsOptions = {},
): Map<string, SafetensorsTensor> {
  const view = asUint8Array(bytes);
  const header = parseSafetensorsHeader(view);
  if (view.byteLength < header.fileByteLength) {
    throw new SafetensorsError(
      `truncated: ${view.byteLength} of ${header.fileByteLength} bytes (the header lists ` +
        `${header.tensors.length} tensors ending at byte ${header.fileByteLength}); the download is ` +
        'incomplete — download the file again.',
    );
  }
  if (view.byteLength > header.fileByteLength) {
    throw new SafetensorsError(
      `The file has ${view.byteLength - header.fileByteLength} bytes after the last tensor (it is ` +
        `${view.byteLength} bytes, the header accounts for ${header.fileByteLength}); it is corrupt or not ` +
        'a single safetensors file.',
    );
  }
  const tensors = new Map<string, SafetensorsTensor>();
  for (const info of header.tensors) {
    if (options.only && !options.only(info.name)) continue;
    const [begin, end] = info.dataOffsets;
    tensors.set(info.name, decodeTensor(info, view.subarray(header.dataStart + begin, header.dataStart + end)));
  }
  return tensors;
}

/** Number of elements of a shape (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

function decodeHeaderJson(headerBytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError(
      `The ${headerBytes.byteLength}-byte header is not valid UTF-8; the file is corrupt or not a safetensors file.`,
    );
  }
  if (!text.startsWith('{')) {
    throw new SafetensorsError(
      `The header must be a JSON object starting with '{' but starts with ${JSON.stringify(text.slice(0, 20))}; ` +
        'this is not a safetensors file.',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SafetensorsError(
      `The header is not valid JSON (${(error as Error).message}); the file is corrupt or not a safetensors file.`,
    );
  }
  if (!isRecord(parsed)) {
    throw new SafetensorsError('The header must be a JSON object mapping tensor names to {dtype, shape, data_offsets}.');
  }
  return parsed;
}

function parseMetadata(raw: unknown): Record<string, string> {
  if (!isRecord(raw)) throw new SafetensorsError('"__metadata__" in the header must be an object of strings.');
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      throw new SafetensorsError(
        `"__metadata__".${key} must be a string, but is ${describe(value)}; the header is not valid safetensors.`,
      );
    }
  }
  return { ...(raw as Record<string, string>) };
}

function parseTensorInfo(name: string, raw: unknown): SafetensorsTensorInfo {
  const label = `Tensor "${name}"`;
  if (!isRecord(raw)) throw new SafetensorsError(`${label}: header entry must be an object with dtype, shape and data_offsets.`);
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BITS, dtype)) {
    throw new SafetensorsError(
      `${label}: unknown dtype ${describe(dtype)}; safetensors dtypes are ${Object.keys(DTYPE_BITS).join(', ')}.`,
    );
  }
  if (!Array.isArray(shape)) throw new SafetensorsError(`${label}: shape must be an array of dimensions, but is ${describe(shape)}.`);
  for (const dim of shape as unknown[]) {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      throw new SafetensorsError(
        `${label}: shape [${shape.map(String).join(', ')}] has dimension ${describe(dim)}; every dimension must be a ` +
          'non-negative integer.',
      );
    }
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((offset) => typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0)
  ) {
    throw new SafetensorsError(
      `${label}: data_offsets must be [begin, end] with non-negative integers, but is ${describe(offsets)}.`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw new SafetensorsError(`${label}: data_offsets [${begin}, ${end}] end before they begin.`);
  const dims = shape as number[];
  const bits = elementCount(dims) * DTYPE_BITS[dtype as SafetensorsDtype];
  const expectedBytes = bits / 8;
  if (!Number.isSafeInteger(expectedBytes) || expectedBytes !== end - begin) {
    throw new SafetensorsError(
      `${label}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but shape [${dims.join(', ')}] of ` +
        `${dtype} needs ${Number.isInteger(expectedBytes) ? expectedBytes : `${bits} bits`}; the header is corrupt.`,
    );
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: [...dims], dataOffsets: [begin, end] };
}

/**
 * Sorts tensors by offset and checks they tile the data section: back to back from 0, no gaps, no overlap.
 * Returns the data section's length.
 */
function checkTiling(tensors: SafetensorsTensorInfo[]): number {
  tensors.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let expectedBegin = 0;
  let previous: SafetensorsTensorInfo | null = null;
  for (const tensor of tensors) {
    const [begin, end] = tensor.dataOffsets;
    if (begin < expectedBegin && previous) {
      throw new SafetensorsError(
        `Tensors "${previous.name}" [${previous.dataOffsets.join(', ')}] and "${tensor.name}" [${begin}, ${end}] ` +
          'overlap in the data section; the header is corrupt.',
      );
    }
    if (begin > expectedBegin) {
      throw new SafetensorsError(
        `Bytes [${expectedBegin}, ${begin}) of the data section belong to no tensor (before "${tensor.name}"); ` +
          'safetensors tensors lie back to back, so the header is corrupt.',
      );
    }
    expectedBegin = end;
    previous = tensor;
  }
  return expectedBegin;
}

function decodeTensor(info: SafetensorsTensorInfo, raw: Uint8Array): SafetensorsTensor {
  const { name, dtype } = info;
  const shape = [...info.shape];
  switch (dtype) {
    case 'F32':
      return { name, shape, dtype, data: new Float32Array(alignedCopy(raw, 4)) };
    case 'I32':
      return { name, shape, dtype, data: new Int32Array(alignedCopy(raw, 4)) };
    case 'F16':
      return { name, shape, dtype, data: widenHalf(new Uint16Array(alignedCopy(raw, 2))) };
    case 'BF16':
      return { name, shape, dtype, data: widenBfloat16(new Uint16Array(alignedCopy(raw, 2))) };
    case 'I64':
      return { name, shape, dtype, data: narrowInt64(name, new BigInt64Array(alignedCopy(raw, 8))) };
    default:
      throw new SafetensorsError(
        `Tensor "${name}" has dtype ${dtype}, which cannot be loaded: weights must be F32, F16 or BF16 and ` +
          'index buffers I32 or I64. Convert the checkpoint to float32 or float16.',
      );
  }
}

/**
 * Copies little-endian bytes into a fresh buffer, in host order. (Not `raw.slice()`: on a Node `Buffer`
 * that returns a view of the same memory.)
 */
function alignedCopy(raw: Uint8Array, width: number): ArrayBuffer {
  const copy = new Uint8Array(raw.byteLength);
  copy.set(raw);
  if (!HOST_IS_LITTLE_ENDIAN && width > 1) {
    for (let i = 0; i < copy.length; i += width) copy.subarray(i, i + width).reverse();
  }
  return copy.buffer;
}

let halfToFloatBits: Uint32Array | null = null;

/**
 * IEEE binary16 → binary32 bits for all 65536 patterns, built from the bit layouts (sign 1, exponent 5,
 * mantissa 10 → 1, 8, 23): exact, and NaN payloads are kept.
 */
function halfTable(): Uint32Array {
  if (halfToFloatBits) return halfToFloatBits;
  const table = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exponent = (h >> 10) & 0x1f;
    let mantissa = h & 0x3ff;
    if (exponent === 0x1f) {
      table[h] = sign | 0x7f800000 | (mantissa << 13);
    } else if (exponent !== 0) {
      table[h] = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa === 0) {
      table[h] = sign;
    } else {
      // Subnormal half m·2^-24: shift the leading 1 into the implicit bit; every one is a normal float32.
      let e = 113;
      while ((mantissa & 0x400) === 0) {
        mantissa <<= 1;
        e--;
      }
      table[h] = sign | (e << 23) | ((mantissa & 0x3ff) << 13);
    }
  }
  halfToFloatBits = table;
  return table;
}

function widenHalf(halves: Uint16Array): Float32Array {
  const table = halfTable();
  const out = new Float32Array(halves.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) bits[i] = table[halves[i]];
  return out;
}

/** bfloat16 is the top half of a float32, so widening is a 16-bit shift. */
function widenBfloat16(values: Uint16Array): Float32Array {
  const out = new Float32Array(values.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < values.length; i++) bits[i] = values[i] << 16;
  return out;
}

function narrowInt64(name: string, values: BigInt64Array): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value < -2147483648n || value > 2147483647n) {
      throw new SafetensorsError(
        `Tensor "${name}" (I64) holds ${value} at index ${i}, outside the int32 range it is loaded as; ` +
          'leave it out with the `only` option if the model does not need it.',
      );
    }
    out[i] = Number(value);
  }
  return out;
}

function asUint8Array(bytes: SafetensorsBytes): Uint8Array {
  return bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return JSON.stringify(value).slice(0, 60);
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'object') return 'an object';
  return String(value);
}
