// Bayes-optimal token inversion (rapt-method.md §5): the attacker knows the mechanism and a prior over
// tokens and guesses argmax_w P(M(w) = y) · prior(w) for an observed output y.
//
// Restriction (stated in every result): candidates w are the K candidate tokens nearest to y (y itself
// first), and P(M(w) = y) is estimated by simulating the mechanism B times per candidate on the GPU.
// Tokens outside y's K-neighbourhood are assumed never to map to y, which only weakens the attack
// (the true original can lie outside), so the reported success is a lower bound on the Bayes attacker's.

export interface BayesObservation {
  original: number;
  output: number;
}

export interface BayesInversionInputs {
  observations: BayesObservation[];
  /** neighbours(y) for every observed y: K candidate ids, nearest first. */
  candidatesOf: Map<number, Uint32Array>;
  /** For every candidate w: how many of the B simulated draws M(w) gave each output. */
  simulatedOutputs: Map<number, Map<number, number>>;
  /** Natural-log prior per vocabulary id. */
  logPrior: ArrayLike<number>;
}

/** Returns the attacker's guess for each observation. */
export function bayesGuesses(inputs: BayesInversionInputs): number[] {
  return inputs.observations.map(({ output }) => {
    const candidates = inputs.candidatesOf.get(output);
    let best = output;
    let bestScore = -Infinity;
    for (const w of candidates ?? []) {
      const count = inputs.simulatedOutputs.get(w)?.get(output) ?? 0;
      if (count === 0) continue;
      const score = Math.log(count) + inputs.logPrior[w];
      if (score > bestScore) {
        bestScore = score;
        best = w;
      }
    }
    // No simulated draw of any candidate reached y: the likelihoods are all estimated as 0, so the
    // attacker falls back to the identity guess.
    return best;
  });
}
