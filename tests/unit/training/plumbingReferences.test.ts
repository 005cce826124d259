// The f64 references of the training graph's plumbing kernels: each backward against central finite
// differences of its forward, for L = ⟨g, forward(·)⟩ with a random g. The forwards are linear (ReLU is
// piecewise linear, probed away from 0), so the differences are exact up to rounding: tolerance 1e-7.

import { describe, expect, it } from 'vitest';
import { rangeMeanPoolBackwardReference, rangeMeanPoolForwardReference, type RangeMeanPoolShape } from '../../../src/training/kernels/rangeMeanPoolReference';
import { reluBackwardReference } from '../../../src/training/kernels/reluBackwardReference';
import { checkScatterIndex, plainRowIndex } from '../../../src/training/kernels/scatterAddRows';
import { gatherRowsReference64, scatterAddRowsReference } from '../../../src/training/kernels/scatterAddRowsReference';
import { softPromptBackwardReference, softPromptForwardReference, type SoftPromptShape } from '../../../src/training/kernels/softPromptReference';

/** Seeded uniform numbers in [-1, 1) (mulberry32). */
function random(seed: number, length: number): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length }, () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  });
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Central differences of f at x, one coordinate at a time. */
function finiteDifferences(f: (x: Float64Array) => number, x: Float64Array, h = 1e-4): Float64Array {
  return Float64Array.from(x, (_, i) => {
    const plus = Float64Array.from(x);
    const minus = Float64Array.from(x);
    plus[i] += h;
    minus[i] -= h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}

function expectAllClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol)) expect.fail(`${what}: element ${i} is ${got[i]}, want ${want[i]}`);
  }
}

describe('softPrompt references', () => {
  const shapes: SoftPromptShape[] = [
    { batch: 3, seqLen: 5, promptLength: 2, d: 3 },
    { batch: 1, seqLen: 1, promptLength: 1, d: 1 },
    { batch: 2, seqLen: 4, promptLength: 4, d: 5 },
  ];
  for (const shape of shapes) {
    const { batch, seqLen, promptLength: n, d } = shape;
    it(`backward = finite differences of forward, ${JSON.stringify(shape)}`, () => {
      const prompt = random(1, n * d);
      const positions = random(2, (n + 3) * d);
      const x = random(3, batch * seqLen * d);
      const g = random(4, batch * seqLen * d);
      const fd = finiteDifferences((p) => dot(g, softPromptForwardReference(p, positions, x, shape)), prompt);
      expectAllClose(softPromptBackwardReference(g, shape), fd, 1e-7, 'dPrompt');
    });
    it(`forward overwrites exactly the prompt rows, ${JSON.stringify(shape)}`, () => {
      const prompt = random(5, n * d);
      const positions = random(6, n * d);
      const x = random(7, batch * seqLen * d);
      const out = softPromptForwardReference(prompt, positions, x, shape);
      for (let b = 0; b < batch; b++) {
        for (let r = 0; r < seqLen; r++) {
          for (let c = 0; c < d; c++) {
            const i = (b * seqLen + r) * d + c;
            expect(out[i]).toBe(r < n ? prompt[r * d + c] + positions[r * d + c] : x[i]);
          }
        }
      }
    });
  }
});

describe('rangeMeanPool references', () => {
  // lengths past seqLen (clamped), equal to start (empty), below start (empty), zero.
  const cases: [RangeMeanPoolShape, number[]][] = [
    [{ batch: 4, seqLen: 6, hidden: 3, start: 2 }, [6, 4, 2, 9]],
    [{ batch: 3, seqLen: 5, hidden: 2, start: 0 }, [5, 0, 1]],
    [{ batch: 2, seqLen: 3, hidden: 1, start: 3 }, [3, 7]],
    [{ batch: 1, seqLen: 1, hidden: 1, start: 0 }, [1]],
    [{ batch: 2, seqLen: 7, hidden: 4, start: 3 }, [1, 5]],
  ];
  for (const [shape, lengths] of cases) {
    it(`backward = finite differences of forward, ${JSON.stringify(shape)} lengths [${lengths}]`, () => {
      const { batch, seqLen, hidden } = shape;
      const x = random(11, batch * seqLen * hidden);
      const g = random(12, batch * hidden);
      const fd = finiteDifferences((v) => dot(g, rangeMeanPoolForwardReference(v, lengths, shape)), x);
      const dX = rangeMeanPoolBackwardReference(g, lengths, shape);
      expectAllClose(dX, fd, 1e-7, 'dX');
    });
  }
  it('gives zeros for an empty range and the plain mean otherwise', () => {
    const shape = { batch: 2, seqLen: 4, hidden: 1, start: 1 };
    expect(Array.from(rangeMeanPoolForwardReference([1, 2, 3, 4, 5, 6, 7, 8], [4, 1], shape))).toEqual([3, 0]);
  });
});

describe('row gather / scatter-add references and plainRowIndex', () => {
  it('plainRowIndex lists b·seqLen + N + i, example-major', () => {
    expect(Array.from(plainRowIndex(2, 7, 2, 3))).toEqual([2, 3, 4, 9, 10, 11]);
    expect(Array.from(plainRowIndex(1, 1, 0, 1))).toEqual([0]);
    expect(Array.from(plainRowIndex(3, 4, 4, 0))).toEqual([]);
    expect(() => plainRowIndex(2, 5, 3, 3)).toThrow(/exceeds seqLen/);
    expect(() => plainRowIndex(2, 5, -1, 1)).toThrow(/promptLength must be an integer/);
    expect(() => plainRowIndex(1.5, 5, 1, 1)).toThrow(/batch must be an integer/);
  });
  it('checkScatterIndex refuses repeated and out-of-range indices', () => {
    expect(() => checkScatterIndex(plainRowIndex(4, 9, 3, 5), 36)).not.toThrow();
    expect(() => checkScatterIndex([0, 3, 0], 4)).toThrow(/index\[2\] = 0 repeats/);
    expect(() => checkScatterIndex([0, 4], 4)).toThrow(/index\[1\] = 4 is not a row/);
  });
  for (const [batch, seqLen, n, m, width] of [
    [3, 6, 2, 2, 3],
    [1, 1, 0, 1, 1],
    [2, 5, 1, 4, 2],
  ]) {
    it(`scatter-add is the adjoint of gather: batch ${batch}, seqLen ${seqLen}, N ${n}, m ${m}, width ${width}`, () => {
      const index = plainRowIndex(batch, seqLen, n, m);
      const x = random(21, batch * seqLen * width);
      const g = random(22, index.length * width);
      const fd = finiteDifferences((v) => dot(g, gatherRowsReference64(v, index, width)), x);
      const grad = scatterAddRowsReference(g, index, new Float64Array(x.length), width);
      expectAllClose(grad, fd, 1e-7, 'dX');
      // And it adds to what is there (the task head's gradient), touching only the index rows.
      const base = random(23, x.length);
      const added = scatterAddRowsReference(g, index, base, width);
      expectAllClose(added, base.map((v, i) => v + grad[i]), 1e-15, 'dst + scatter');
    });
  }
  it('scatter-add skips indices past dst, as the shader does', () => {
    expect(Array.from(scatterAddRowsReference([1, 2, 3], [1, 5, 0], [10, 20], 1))).toEqual([13, 21]);
  });
});

describe('reluBackward reference', () => {
  it('backward = finite differences of relu away from 0', () => {
    const z = random(31, 40).map((v) => (Math.abs(v) < 0.01 ? v + 0.05 : v));
    const g = random(32, 40);
    const relu = (v: Float64Array) => v.map((t) => Math.max(t, 0));
    const fd = finiteDifferences((v) => dot(g, relu(v)), z, 1e-5);
    const got = reluBackwardReference(Float32Array.from(relu(z)), Float32Array.from(g));
    expectAllClose(got, Float32Array.from(fd), 1e-7, 'dZ');
  });
  it('takes the gradient at 0 (and at NaN activations) as 0', () => {
    const y = Float32Array.of(0, -0, 2, Number.NaN, 1e-30);
    const dY = Float32Array.of(5, 5, 5, 5, Number.NaN);
    const got = Array.from(reluBackwardReference(y, dY));
    expect(got.slice(0, 4)).toEqual([0, 0, 5, 0]);
    expect(got[4]).toBeNaN();
  });
});
