import { describe, expect, it } from 'vitest';
import { bayesGuesses } from '../../src/privacy/attacks/bayesInversion';

describe('bayesGuesses', () => {
  const logPrior = [-Infinity, Math.log(0.5), Math.log(0.3), Math.log(0.2)];
  it('picks argmax_w P(M(w)=y)·prior(w) among y’s candidates', () => {
    const guesses = bayesGuesses({
      observations: [{ original: 2, output: 3 }, { original: 3, output: 3 }],
      candidatesOf: new Map([[3, Uint32Array.of(3, 2, 1)]]),
      // P(M(3)=3) = 0.5, P(M(2)=3) = 0.25, P(M(1)=3) = 0.1 → scores 0.1, 0.075, 0.05.
      simulatedOutputs: new Map([
        [3, new Map([[3, 10], [2, 10]])],
        [2, new Map([[3, 5], [2, 15]])],
        [1, new Map([[3, 2], [1, 18]])],
      ]),
      logPrior,
    });
    expect(guesses).toEqual([3, 3]);
  });

  it('lets the prior overturn the likelihood, and falls back to y when no candidate reached it', () => {
    const guesses = bayesGuesses({
      observations: [{ original: 1, output: 3 }, { original: 1, output: 2 }],
      candidatesOf: new Map([[3, Uint32Array.of(3, 1)], [2, Uint32Array.of(2, 1)]]),
      // P(M(3)=3)=0.2·prior 0.2 = 0.04 < P(M(1)=3)=0.1·prior 0.5 = 0.05
      simulatedOutputs: new Map([[3, new Map([[3, 2], [1, 8]])], [1, new Map([[3, 1], [1, 9]])], [2, new Map([[2, 0]])]]),
      logPrior,
    });
    expect(guesses).toEqual([1, 2]);
  });
});
