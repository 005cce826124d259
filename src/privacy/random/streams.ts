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
  /** The vocabulary tokens whose embeddings initialise the soft prompt (softPrompt.ts). */
  softPromptInit: 5,
  /** RAPT's plain tokens: the fixed sequence of a run, or the per-example variant (plainTokens.ts). */
  plainTokens: 6,
  /** The order of training examples, one stream per epoch (batching.ts). */
  trainShuffle: 7,
  /** Initial weights of the task head and the reconstruction head. */
  headInit: 8,
  /** Which training examples a run uses when it takes a subset of a dataset. */
  trainSubset: 9,
} as const;

/**
 * GPU token rows for the attacker's own Monte-Carlo simulation of the mechanism use example ids from here
 * up (example = base + token id), so they never reuse the noise of the user's privatised text.
 */
export const ATTACKER_EXAMPLE_BASE = 0x40000000;
