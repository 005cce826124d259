import { describe, expect, it } from 'vitest';
import { learningRate, warmupLength } from '../../../src/training/schedule';

describe('learningRate', () => {
  const opts = { lr: 1e-3, warmupSteps: 10 };

  it('warms up linearly from lr/W at step 0 to lr at step W − 1', () => {
    expect(learningRate(0, 100, opts)).toBeCloseTo(1e-4, 15);
    expect(learningRate(4, 100, opts)).toBeCloseTo(5e-4, 15);
    expect(learningRate(9, 100, opts)).toBeCloseTo(1e-3, 15);
  });

  it('decays linearly from lr at step W to lr/(T − W) at the last step, 0 at T', () => {
    expect(learningRate(10, 100, opts)).toBeCloseTo(1e-3, 15);
    expect(learningRate(55, 100, opts)).toBeCloseTo(0.5e-3, 15);
    expect(learningRate(99, 100, opts)).toBeCloseTo(1e-3 / 90, 15);
    expect(learningRate(100, 100, opts)).toBe(0);
  });

  it('is positive on every step and never exceeds lr', () => {
    for (let s = 0; s < 100; s++) {
      const v = learningRate(s, 100, opts);
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThanOrEqual(1e-3 * (1 + 1e-12));
    }
  });

  it('without warm-up is a plain linear decay from lr', () => {
    expect(learningRate(0, 4, { lr: 2 })).toBe(2);
    expect(learningRate(1, 4, { lr: 2 })).toBe(1.5);
    expect(learningRate(3, 4, { lr: 2 })).toBe(0.5);
    expect(learningRate(4, 4, { lr: 2 })).toBe(0);
  });

  it('takes the warm-up as a fraction of the total (rounded)', () => {
    expect(warmupLength(1000, { lr: 1, warmupFraction: 0.06 })).toBe(60);
    expect(warmupLength(25, { lr: 1, warmupFraction: 0.1 })).toBe(3);
    expect(learningRate(59, 1000, { lr: 1, warmupFraction: 0.06 })).toBeCloseTo(1, 15);
    expect(learningRate(0, 1000, { lr: 1, warmupFraction: 0.06 })).toBeCloseTo(1 / 60, 15);
  });

  it('with warm-up over the whole run only warms up', () => {
    expect(learningRate(0, 4, { lr: 1, warmupSteps: 4 })).toBe(0.25);
    expect(learningRate(3, 4, { lr: 1, warmupSteps: 4 })).toBe(1);
    expect(learningRate(4, 4, { lr: 1, warmupSteps: 4 })).toBe(0);
  });

  it('rejects bad arguments', () => {
    expect(() => learningRate(-1, 10, opts)).toThrow(RangeError);
    expect(() => learningRate(11, 10, { lr: 1 })).toThrow(RangeError);
    expect(() => learningRate(0.5, 10, { lr: 1 })).toThrow(RangeError);
    expect(() => learningRate(0, 0, { lr: 1 })).toThrow(RangeError);
    expect(() => learningRate(0, 10, { lr: 0 })).toThrow(RangeError);
    expect(() => learningRate(0, 10, { lr: 1, warmupSteps: 11 })).toThrow(RangeError);
    expect(() => learningRate(0, 10, { lr: 1, warmupFraction: 1.5 })).toThrow(RangeError);
    expect(() => learningRate(0, 10, { lr: 1, warmupSteps: 1, warmupFraction: 0.1 })).toThrow(/not both/);
  });
});
