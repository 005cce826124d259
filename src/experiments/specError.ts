// The one error type for an experiment spec that cannot be used: invalid fields, an unknown or newer schema
// version, a corrupt share link's contents. Its message is written for the user and names every problem.
export class SpecError extends Error {
  override name = 'SpecError';
}
