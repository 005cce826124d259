import { describe, expect, it } from 'vitest';
import { PhiloxStream, philox4x32, seedKey, uniformFromBits } from '../../src/privacy/random/philox';

const hex = (a: Uint32Array) => [...a].map((x) => x.toString(16).padStart(8, '0'));

describe('Philox4x32-10 reference', () => {
  // Known-answer vectors from Random123's kat_vectors (philox4x32 10 rounds).
  it('reproduces the Random123 known-answer vectors', () => {
    expect(hex(philox4x32(0, 0, 0, 0, 0, 0))).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    expect(hex(philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff))).toEqual([
      '408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd',
    ]);
    expect(hex(philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0))).toEqual([
      'd16cfe09', '94fdcceb', '5001e420', '24126ea1',
    ]);
  });

  it('maps bits to the open interval (0, 1)', () => {
    expect(uniformFromBits(0)).toBeGreaterThan(0);
    expect(uniformFromBits(0xffffffff)).toBeLessThan(1);
    expect(Math.fround(uniformFromBits(0xffffffff))).toBe(uniformFromBits(0xffffffff));
  });

  it('splits seeds into a 64-bit key and rejects bad seeds', () => {
    expect(seedKey(2 ** 32 + 5)).toEqual([5, 1]);
    expect(() => seedKey(-1)).toThrow(RangeError);
    expect(() => seedKey(0.5)).toThrow(RangeError);
  });

  it('gives reproducible, purpose-separated streams', () => {
    const a = new PhiloxStream(42, 1);
    const b = new PhiloxStream(42, 1);
    const c = new PhiloxStream(42, 2);
    const xs = Array.from({ length: 10 }, () => a.nextU32());
    expect(Array.from({ length: 10 }, () => b.nextU32())).toEqual(xs);
    expect(Array.from({ length: 10 }, () => c.nextU32())).not.toEqual(xs);
    const s = new PhiloxStream(1, 3).shuffle([...Array(50).keys()]);
    expect([...s].sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
  });
});
