import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  SAFETENSORS_MAX_HEADER_BYTES,
  SafetensorsError,
  parseSafetensorsHeader,
  readSafetensors,
} from '../../src/model/formats/safetensors';

const fixtureDir = new URL('../fixtures/tiny-bert/', import.meta.url);
const f32File = readFileSync(new URL('model.safetensors', fixtureDir));
const f16File = readFileSync(new URL('model-f16.safetensors', fixtureDir));

interface CraftedTensor {
  dtype: string;
  shape: unknown[];
  bytes: Uint8Array;
  /** Overrides the computed data_offsets. */
  offsets?: unknown;
}

/** A safetensors file from tensors laid out back to back in the given order, with optional overrides. */
function craft(
  tensors: Record<string, CraftedTensor>,
  options: { metadata?: unknown; headerText?: string; trailing?: number } = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (options.metadata !== undefined) header.__metadata__ = options.metadata;
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    header[name] = {
      dtype: tensor.dtype,
      shape: tensor.shape,
      data_offsets: tensor.offsets ?? [offset, offset + tensor.bytes.length],
    };
    offset += tensor.bytes.length;
  }
  const headerBytes = new TextEncoder().encode(options.headerText ?? JSON.stringify(header));
  return withHeaderBytes(headerBytes, [
    ...Object.values(tensors).map((tensor) => tensor.bytes),
    new Uint8Array(options.trailing ?? 0),
  ]);
}

function withHeaderBytes(headerBytes: Uint8Array, data: Uint8Array[]): Uint8Array {
  const total = 8 + headerBytes.length + data.reduce((sum, part) => sum + part.length, 0);
  const file = new Uint8Array(total);
  new DataView(file.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  file.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const part of data) {
    file.set(part, at);
    at += part.length;
  }
  return file;
}

function littleEndian(width: 2 | 4 | 8, values: Array<number | bigint>): Uint8Array {
  const view = new DataView(new ArrayBuffer(values.length * width));
  values.forEach((value, i) => {
    if (width === 2) view.setUint16(i * 2, Number(value), true);
    else if (width === 4) view.setFloat32(i * 4, Number(value), true);
    else view.setBigInt64(i * 8, BigInt(value), true);
  });
  return new Uint8Array(view.buffer);
}

const f32 = (values: number[]) => littleEndian(4, values);

function errorOf(run: () => unknown): SafetensorsError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SafetensorsError);
    return error as SafetensorsError;
  }
  throw new Error('expected a SafetensorsError');
}

/** Nearest IEEE binary16 value to x (ties to even), computed in float64 — an oracle for F16 conversion. */
function roundToHalf(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const magnitude = Math.abs(x);
  if (magnitude >= 65520) return Math.sign(x) * Infinity;
  let exponent = Math.floor(Math.log2(magnitude));
  if (2 ** exponent > magnitude) exponent--;
  if (2 ** (exponent + 1) <= magnitude) exponent++;
  const ulp = 2 ** (Math.max(exponent, -14) - 10);
  const scaled = magnitude / ulp;
  const floor = Math.floor(scaled);
  const fraction = scaled - floor;
  const rounded = fraction > 0.5 || (fraction === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
  return Math.sign(x) * rounded * ulp;
}

describe('the tiny-bert fixture', () => {
  it('has a header listing every tensor of BertForMaskedLM, tiling the file exactly', () => {
    const header = parseSafetensorsHeader(f32File);
    expect(header.metadata).toEqual({ format: 'pt' });
    expect(header.fileByteLength).toBe(f32File.byteLength);
    expect(header.dataStart % 8).toBe(0);
    // 5 embedding tensors, 16 per layer × 2, and 6 in the MLM head.
    expect(header.tensors).toHaveLength(5 + 32 + 6);
    const word = header.tensors.find((tensor) => tensor.name === 'bert.embeddings.word_embeddings.weight');
    expect(word).toMatchObject({ dtype: 'F32', shape: [98, 32] });
  });

  it('parses the header from the header bytes alone', () => {
    const { dataStart } = parseSafetensorsHeader(f32File);
    const header = parseSafetensorsHeader(f32File.subarray(0, dataStart));
    expect(header.tensors).toHaveLength(43);
  });

  it('reads float32 tensors as stored', () => {
    const tensors = readSafetensors(f32File);
    expect(tensors.size).toBe(43);
    const bias = tensors.get('cls.predictions.bias');
    expect(bias?.dtype).toBe('F32');
    expect(bias?.shape).toEqual([98]);
    const info = parseSafetensorsHeader(f32File).tensors.find((tensor) => tensor.name === 'cls.predictions.bias');
    const view = new DataView(f32File.buffer, f32File.byteOffset + parseSafetensorsHeader(f32File).dataStart);
    const begin = info?.dataOffsets[0] ?? -1;
    for (let i = 0; i < 98; i++) expect(bias?.data[i]).toBe(view.getFloat32(begin + 4 * i, true));
  });

  it('reads only the tensors asked for', () => {
    const tensors = readSafetensors(f32File, { only: (name) => name.startsWith('cls.') });
    expect([...tensors.keys()].sort()).toEqual([
      'cls.predictions.bias',
      'cls.predictions.decoder.weight',
      'cls.predictions.transform.LayerNorm.bias',
      'cls.predictions.transform.LayerNorm.weight',
      'cls.predictions.transform.dense.bias',
      'cls.predictions.transform.dense.weight',
    ]);
  });

  it('widens the F16 file to the F32 values rounded to half precision', () => {
    const full = readSafetensors(f32File);
    const half = readSafetensors(f16File);
    // The F16 file leaves out the tied decoder, as recent transformers versions save it.
    expect(half.has('cls.predictions.decoder.weight')).toBe(false);
    expect(half.size).toBe(full.size - 1);
    let compared = 0;
    for (const [name, tensor] of half) {
      const reference = full.get(name);
      expect(tensor.dtype, name).toBe('F16');
      expect(tensor.data, name).toBeInstanceOf(Float32Array);
      expect(tensor.shape, name).toEqual(reference?.shape);
      for (let i = 0; i < tensor.data.length; i++) {
        const expected = roundToHalf(reference?.data[i] ?? NaN);
        if (tensor.data[i] !== expected) expect(`${name}[${i}] = ${tensor.data[i]}`).toBe(`${name}[${i}] = ${expected}`);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(20_000);
  });
});

describe('F16 and BF16 conversion', () => {
  it('converts every class of half-precision value exactly', () => {
    const cases: Array<[number, number]> = [
      [0x0000, 0],
      [0x8000, -0],
      [0x3c00, 1],
      [0xbc00, -1],
      [0x3555, 0.333251953125],
      [0x0001, 2 ** -24], // smallest subnormal
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x8200, -(2 ** -15)],
      [0x0400, 2 ** -14], // smallest normal
      [0x7bff, 65504], // largest normal
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    const bytes = littleEndian(2, [...cases.map(([bits]) => bits), 0x7e00, 0xfc01]);
    const tensor = readSafetensors(craft({ h: { dtype: 'F16', shape: [bytes.length / 2], bytes } })).get('h');
    cases.forEach(([bits, value], i) => expect(tensor?.data[i], `0x${bits.toString(16)}`).toBe(value));
    expect(Object.is(tensor?.data[1], -0)).toBe(true);
    expect(tensor?.data[cases.length]).toBeNaN();
    expect(tensor?.data[cases.length + 1]).toBeNaN();
    const nanBits = new Uint32Array((tensor?.data as Float32Array).buffer);
    expect(nanBits[cases.length]).toBe(0x7fc00000);
  });

  it('converts bfloat16 exactly, as the top half of a float32', () => {
    const cases: Array<[number, number]> = [
      [0x3f80, 1],
      [0xbf80, -1],
      [0x4049, 3.140625],
      [0x8000, -0],
      [0x0001, 2 ** -133], // smallest subnormal: a float32 subnormal
      [0x007f, 127 * 2 ** -133],
      [0x0080, 2 ** -126],
      [0x7f7f, (2 - 2 ** -7) * 2 ** 127],
      [0x7f80, Infinity],
      [0xff80, -Infinity],
      [0x3dcd, 0.10009765625],
    ];
    const bytes = littleEndian(2, [...cases.map(([bits]) => bits), 0x7fc0]);
    const tensor = readSafetensors(craft({ b: { dtype: 'BF16', shape: [cases.length + 1], bytes } })).get('b');
    expect(tensor?.dtype).toBe('BF16');
    cases.forEach(([bits, value], i) => expect(tensor?.data[i], `0x${bits.toString(16)}`).toBe(value));
    expect(Object.is(tensor?.data[3], -0)).toBe(true);
    expect(tensor?.data[cases.length]).toBeNaN();
  });
});

describe('integer and unsupported dtypes', () => {
  it('reads I64 and I32 index buffers as Int32Array', () => {
    const file = craft({
      position_ids: { dtype: 'I64', shape: [1, 4], bytes: littleEndian(8, [0, 1, 2, -3]) },
      lengths: { dtype: 'I32', shape: [2], bytes: new Uint8Array(new Int32Array([7, -8]).buffer) },
    });
    const tensors = readSafetensors(file);
    expect(tensors.get('position_ids')).toEqual({
      name: 'position_ids',
      shape: [1, 4],
      dtype: 'I64',
      data: new Int32Array([0, 1, 2, -3]),
    });
    expect(tensors.get('lengths')?.data).toEqual(new Int32Array([7, -8]));
  });

  it('refuses I64 values beyond int32', () => {
    const file = craft({ big: { dtype: 'I64', shape: [1], bytes: littleEndian(8, [2n ** 40n]) } });
    expect(errorOf(() => readSafetensors(file)).message).toMatch(/"big" \(I64\) holds 1099511627776 at index 0/);
  });

  it('refuses other dtypes on read, naming the tensor, unless left out', () => {
    const file = craft({
      w: { dtype: 'F32', shape: [1], bytes: f32([1]) },
      d: { dtype: 'F64', shape: [1], bytes: new Uint8Array(8) },
    });
    expect(errorOf(() => readSafetensors(file)).message).toMatch(/"d" has dtype F64, which cannot be loaded/);
    expect([...readSafetensors(file, { only: (name) => name === 'w' }).keys()]).toEqual(['w']);
  });
});

describe('malformed files', () => {
  const good = { w: { dtype: 'F32', shape: [2, 2], bytes: f32([1, 2, 3, 4]) } };

  it('accepts the well-formed crafted file, header padded with spaces', () => {
    const padded = new TextEncoder().encode(JSON.stringify({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } }) + '   ');
    expect(readSafetensors(withHeaderBytes(padded, [f32([1, 2, 3, 4])])).get('w')?.data).toEqual(new Float32Array([1, 2, 3, 4]));
    expect(readSafetensors(craft(good, { metadata: { format: 'pt' } })).size).toBe(1);
  });

  it('says when the file is shorter than the header length field', () => {
    expect(errorOf(() => parseSafetensorsHeader(new Uint8Array(5))).message).toMatch(/^truncated: 5 of at least 8 bytes/);
    const file = craft(good);
    expect(errorOf(() => parseSafetensorsHeader(file.subarray(0, 20))).message).toMatch(
      /^truncated: the header length field says \d+ bytes but only 12 follow it/,
    );
  });

  it('refuses a header length above the 100 MB limit', () => {
    const file = new Uint8Array(64);
    new DataView(file.buffer).setBigUint64(0, BigInt(SAFETENSORS_MAX_HEADER_BYTES) + 1n, true);
    expect(errorOf(() => parseSafetensorsHeader(file)).message).toMatch(/above the 100000000-byte limit/);
    // e.g. the first bytes of a zip (PyTorch .bin) read as a length
    new DataView(file.buffer).setBigUint64(0, 0x0403_4b50_0000_0000n, true);
    expect(errorOf(() => parseSafetensorsHeader(file)).message).toMatch(/not a safetensors file/);
  });

  it('refuses a header that is not UTF-8, not JSON or not an object', () => {
    const notUtf8 = withHeaderBytes(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), []);
    expect(errorOf(() => parseSafetensorsHeader(notUtf8)).message).toMatch(/is not valid UTF-8/);
    expect(errorOf(() => readSafetensors(craft({}, { headerText: '{"w": {' }))).message).toMatch(/^The header is not valid JSON \(/);
    expect(errorOf(() => readSafetensors(craft({}, { headerText: '[1, 2]' }))).message).toMatch(/must be a JSON object starting with '\{'/);
  });

  it('refuses an unknown dtype', () => {
    const file = craft({ w: { dtype: 'FLOAT32', shape: [1], bytes: f32([1]) } });
    expect(errorOf(() => parseSafetensorsHeader(file)).message).toMatch(/^Tensor "w": unknown dtype "FLOAT32"; safetensors dtypes are BOOL/);
  });

  it('refuses negative, fractional or non-numeric dimensions', () => {
    for (const dim of [-1, 1.5, '4', null]) {
      const file = craft({ w: { dtype: 'F32', shape: [dim], bytes: f32([1]) } });
      expect(errorOf(() => parseSafetensorsHeader(file)).message).toMatch(
        /^Tensor "w": shape \[.*\] has dimension .*; every dimension must be a non-negative integer\.$/,
      );
    }
  });

  it('refuses data_offsets that are malformed, reversed or do not match shape × dtype', () => {
    const bad = (offsets: unknown) => craft({ w: { dtype: 'F32', shape: [2, 2], bytes: f32([1, 2, 3, 4]), offsets } });
    expect(errorOf(() => parseSafetensorsHeader(bad([0]))).message).toMatch(/data_offsets must be \[begin, end\]/);
    expect(errorOf(() => parseSafetensorsHeader(bad([-4, 12]))).message).toMatch(/data_offsets must be \[begin, end\]/);
    expect(errorOf(() => parseSafetensorsHeader(bad([16, 0]))).message).toMatch(/data_offsets \[16, 0\] end before they begin/);
    expect(errorOf(() => parseSafetensorsHeader(bad([0, 12]))).message).toBe(
      'Tensor "w": data_offsets [0, 12] hold 12 bytes, but shape [2, 2] of F32 needs 16; the header is corrupt.',
    );
  });

  it('refuses overlapping tensors and gaps between them', () => {
    const overlapping = craft({
      a: { dtype: 'F32', shape: [2], bytes: f32([1, 2]) },
      b: { dtype: 'F32', shape: [2], bytes: f32([3, 4]), offsets: [4, 12] },
    });
    expect(errorOf(() => parseSafetensorsHeader(overlapping)).message).toBe(
      'Tensors "a" [0, 8] and "b" [4, 12] overlap in the data section; the header is corrupt.',
    );
    const gap = craft({
      a: { dtype: 'F32', shape: [1], bytes: f32([1]) },
      b: { dtype: 'F32', shape: [1], bytes: f32([2]), offsets: [8, 12] },
    });
    expect(errorOf(() => parseSafetensorsHeader(gap)).message).toMatch(/^Bytes \[4, 8\) of the data section belong to no tensor/);
  });

  it('says how much of a truncated download arrived', () => {
    const cut = f32File.subarray(0, f32File.byteLength - 1000);
    expect(errorOf(() => readSafetensors(cut)).message).toMatch(
      new RegExp(`^truncated: ${cut.byteLength} of ${f32File.byteLength} bytes`),
    );
    // A tensor whose offsets run past the end of the file is the same failure.
    const past = craft({ w: { dtype: 'F32', shape: [8], bytes: f32([1, 2]), offsets: [0, 32] } });
    expect(errorOf(() => readSafetensors(past)).message).toMatch(/^truncated: \d+ of \d+ bytes/);
  });

  it('refuses bytes after the last tensor', () => {
    expect(errorOf(() => readSafetensors(craft(good, { trailing: 3 }))).message).toMatch(
      /^The file has 3 bytes after the last tensor/,
    );
  });

  it('refuses non-string metadata', () => {
    expect(errorOf(() => parseSafetensorsHeader(craft(good, { metadata: { format: 1 } }))).message).toMatch(
      /"__metadata__"\.format must be a string, but is 1/,
    );
  });

  it('accepts an ArrayBuffer and a Uint8Array view at an odd offset alike', () => {
    const file = craft(good);
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    const fromView = readSafetensors(shifted.subarray(1)).get('w');
    const fromBuffer = readSafetensors(file.slice().buffer).get('w');
    expect(fromView?.data).toEqual(new Float32Array([1, 2, 3, 4]));
    expect(fromBuffer?.data).toEqual(new Float32Array([1, 2, 3, 4]));
  });

  it('reads empty and scalar tensors', () => {
    const tensors = readSafetensors(
      craft({
        empty: { dtype: 'F32', shape: [0, 3], bytes: new Uint8Array(0) },
        scalar: { dtype: 'F32', shape: [], bytes: f32([2.5]) },
      }),
    );
    expect(tensors.get('empty')?.data.length).toBe(0);
    expect(tensors.get('scalar')?.data).toEqual(new Float32Array([2.5]));
  });
});
