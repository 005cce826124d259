import { describe, expect, it } from 'vitest';
import { stepStateFor } from '../../../src/training/kernels/adamW';
import { adamWInitialState, adamWReference } from '../../../src/training/kernels/adamWReference';
import { columnSumReference } from '../../../src/training/kernels/columnSumReference';
import { IGNORED_TARGET, crossEntropyReference } from '../../../src/training/kernels/crossEntropyReference';
import { clipScaleReference, globalClipReference, sumSquaresReference } from '../../../src/training/kernels/globalNormReference';
import { countCorrectReference, reduceSumReference } from '../../../src/training/kernels/reduceSumReference';

/** Deterministic numbers in [lo, hi) (a small LCG; the values only need to be spread out). */
function numbers(seed: number, n: number, lo: number, hi: number): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

/** Σ over non-ignored rows of scale·loss: the objective whose gradient the reference's dLogits must be. */
function objective(logits: ArrayLike<number>, targets: ArrayLike<number>, rows: number, classes: number, scale: number): number {
  const { losses } = crossEntropyReference(logits, targets, rows, classes, scale);
  let total = 0;
  for (let r = 0; r < rows; r++) if (targets[r] !== IGNORED_TARGET) total += scale * losses[r];
  return total;
}

describe('crossEntropyReference', () => {
  // Central differences in f64: truncation h²/6·|f'''| ≲ 2e-11 (log-sum-exp has |f'''| ≤ 1), rounding
  // ≈ 1e-16·|x|/h ≤ 1e-8 relative to the logits' size for |x| ≈ 1000. 1e-7 is far above both and far
  // below any real error (a wrong sign or missing scale is O(scale/classes)).
  const cases: [string, number, number, number, number, number[]][] = [
    ['2 classes, one ignored row', 3, 2, 0.5, 0, [1, IGNORED_TARGET, 0]],
    ['7 classes, scale 1/3', 3, 7, 1 / 3, 0, [6, 0, IGNORED_TARGET]],
    ['5 classes around 1000', 4, 5, 1.7, 1000, [2, 4, IGNORED_TARGET, 0]],
    ['one row, one ignored', 1, 4, 1, 0, [IGNORED_TARGET]],
  ];
  for (const [what, rows, classes, scale, offset, targets] of cases) {
    it(`has the central-difference gradient of Σ scale·loss: ${what}`, () => {
      const logits = numbers(rows * 31 + classes, rows * classes, offset - 4, offset + 4);
      const { dLogits } = crossEntropyReference(logits, targets, rows, classes, scale);
      const h = 1e-5;
      for (let i = 0; i < logits.length; i++) {
        const plus = Float64Array.from(logits);
        const minus = Float64Array.from(logits);
        plus[i] += h;
        minus[i] -= h;
        const fd = (objective(plus, targets, rows, classes, scale) - objective(minus, targets, rows, classes, scale)) / (2 * h);
        expect(Math.abs(dLogits[i] - fd), `element ${i}: analytic ${dLogits[i]}, finite difference ${fd}`).toBeLessThan(1e-7);
      }
      for (let r = 0; r < rows; r++) {
        if (targets[r] !== IGNORED_TARGET) continue;
        expect(crossEntropyReference(logits, targets, rows, classes, scale).losses[r]).toBe(0);
        for (let c = 0; c < classes; c++) expect(dLogits[r * classes + c]).toBe(0);
      }
    });
  }

  it('is stable for huge logits, gives the argmax with the lowest index on ties, and rejects bad targets', () => {
    const { losses, dLogits, predicted } = crossEntropyReference([1000, 0, -1e30, 1e30, 5, 5, 2, 5], [1, 0, 1, IGNORED_TARGET], 4, 2, 1);
    expect(losses[0]).toBe(1000); // e^{1000} overflows: only the max-subtracted form gives this
    expect(losses[1]).toBe(2e30);
    expect(losses[2]).toBe(Math.log(2));
    expect(losses[3]).toBe(0);
    expect([...dLogits]).toEqual([1, -1, -1, 1, 0.5, -0.5, 0, 0]);
    expect([...predicted]).toEqual([0, 1, 0, 1]);
    expect(() => crossEntropyReference([0, 0], [2], 1, 2, 1)).toThrow(/target 2/);
  });
});

describe('adamWReference', () => {
  // β1 = 1/2, β2 = 3/4, lr = 0.1, wd = 0.1, eps = 0, p0 = 2.
  // Step 1, g = 1: m = 1/2, v = 1/4; bc1 = 1/2, bc2 = 1/4 → m̂ = 1, v̂ = 1, m̂/√v̂ = 1;
  //   p = 2 − 0.1·(1 + 0.1·2) = 1.88.
  // Step 2, g = −1: m = 1/4 − 1/2 = −1/4, v = 3/16 + 1/4 = 7/16; bc1 = 3/4, bc2 = 7/16 → m̂ = −1/3, v̂ = 1;
  //   p = 1.88 − 0.1·(−1/3 + 0.1·1.88) = 1.88 + 0.1·(1/3 − 0.188) = 1.8945333…
  const h = { lr: 0.1, beta1: 0.5, beta2: 0.75, eps: 0, weightDecay: 0.1 };

  it('matches a hand-computed two-step sequence', () => {
    const s1 = adamWReference(adamWInitialState([2]), [1], 1, 1, h);
    expect(s1.m[0]).toBe(0.5);
    expect(s1.v[0]).toBe(0.25);
    expect(s1.param[0]).toBeCloseTo(1.88, 15);
    const s2 = adamWReference(s1, [-1], 2, 1, h);
    expect(s2.m[0]).toBe(-0.25);
    expect(s2.v[0]).toBe(7 / 16);
    expect(s2.param[0]).toBeCloseTo(1.88 + 0.1 * (1 / 3 - 0.188), 14);
  });

  it('multiplies the gradient by the clip scale, uses eps, and equals PyTorch decay-then-Adam', () => {
    const clipped = adamWReference(adamWInitialState([2]), [4], 1, 0.25, h);
    const plain = adamWReference(adamWInitialState([2]), [1], 1, 1, h);
    expect(clipped.param[0]).toBe(plain.param[0]);
    expect(clipped.m[0]).toBe(plain.m[0]);
    // eps = 1: m̂/(√v̂ + 1) = 1/2 at step 1 → p = 2 − 0.1·(0.5 + 0.2) = 1.93.
    expect(adamWReference(adamWInitialState([2]), [1], 1, 1, { ...h, eps: 1 }).param[0]).toBeCloseTo(1.93, 15);
    // torch.optim.AdamW: p ← p·(1 − lr·wd), then p ← p − lr·m̂/(√v̂ + eps).
    const hp = { lr: 0.03, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
    const grads = [numbers(1, 5, -1, 1), numbers(2, 5, -1, 1), numbers(3, 5, -1, 1)];
    let state = adamWInitialState(numbers(4, 5, -2, 2));
    const p = Float64Array.from(state.param);
    const m = new Float64Array(5);
    const v = new Float64Array(5);
    grads.forEach((g, k) => {
      const t = k + 1;
      state = adamWReference(state, g, t, 1, hp);
      for (let i = 0; i < 5; i++) {
        m[i] = hp.beta1 * m[i] + (1 - hp.beta1) * g[i];
        v[i] = hp.beta2 * v[i] + (1 - hp.beta2) * g[i] * g[i];
        p[i] *= 1 - hp.lr * hp.weightDecay;
        p[i] -= (hp.lr * (m[i] / (1 - hp.beta1 ** t))) / (Math.sqrt(v[i] / (1 - hp.beta2 ** t)) + hp.eps);
      }
    });
    for (let i = 0; i < 5; i++) expect(state.param[i]).toBeCloseTo(p[i], 14);
  });

  it('stepStateFor gives [lr, 1 − β1^t, 1 − β2^t, 0] in f32 and checks its arguments', () => {
    expect([...stepStateFor(1, 0.01, 0.9, 0.999)]).toEqual([Math.fround(0.01), Math.fround(0.1), Math.fround(1 - 0.999), 0]);
    expect([...stepStateFor(3, 0.5, 0.5, 0.75)]).toEqual([0.5, 0.875, Math.fround(1 - 0.421875), 0]);
    expect(() => stepStateFor(0, 0.01, 0.9, 0.999)).toThrow(/step/);
    expect(() => stepStateFor(1.5, 0.01, 0.9, 0.999)).toThrow(/step/);
    expect(() => stepStateFor(1, -1, 0.9, 0.999)).toThrow(/lr/);
    expect(() => stepStateFor(1, 0.01, 1, 0.999)).toThrow(/beta1/);
  });
});

describe('metric, bias and norm references', () => {
  it('reduceSum, countCorrect and columnSum', () => {
    expect(reduceSumReference([1, 2, 3.5], 0.5)).toBe(3.25);
    expect(reduceSumReference([1, 2, 3.5], 2, 10)).toBe(23);
    expect(countCorrectReference([0, 1, 1, 2], [0, 0, 1, IGNORED_TARGET])).toBe(2);
    expect(countCorrectReference([0, 1], [0, 1], 1, 5)).toBe(7);
    expect([...columnSumReference([1, 2, 3, 4, 5, 6], 2, 3)]).toEqual([5, 7, 9]);
  });

  it('global norm and clip scale', () => {
    expect(sumSquaresReference([3, -4])).toBe(25);
    expect(clipScaleReference([9, 16], 1)).toEqual([5, 1 / (5 + 1e-6)]);
    expect(clipScaleReference([9, 16], 10)).toEqual([5, 1]);
    expect(clipScaleReference([9, 16], 0)).toEqual([5, 1]);
    expect(globalClipReference([[3], [4]], 2.5)).toEqual([5, 2.5 / (5 + 1e-6)]);
  });
});
