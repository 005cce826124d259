// Purpose tags for CPU-side Philox streams (PhiloxStream) and reserved counter ranges for GPU draws, so
// no two uses of one seed ever share random numbers.

export const StreamPurpose = {
  /** Which corpus sentences a statistics run samples. */
  corpusSample: 1,
  /** Which observations the Bayes attack evaluates. */
  bayesObservations: 2,
  /** The build-time sample of the bundled demo corpus. */
  demoCorpus: 3,
  /** The benchmark's synthetic BERT-sized table. */
  benchTable: 4,
} as const;

/**
 * GPU token rows for the attacker's own Monte-Carlo simulation of the mechanism use example ids from here
 * up (example = base + token id), so they never reuse the noise of the user's privatised text.
 */
export const ATTACKER_EXAMPLE_BASE = 0x40000000;
