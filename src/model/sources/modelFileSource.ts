// Where a model's files come from. Three sources implement this one interface, so the loaders that read
// config.json, safetensors weights and tokenizer files never know (or care) which one they were given:
//   hubSource.ts        — the Hugging Face Hub by model id, through a browser cache (offline second load)
//   localFilesSource.ts — a folder the user picks or drops
//   originSource.ts     — the app's own origin (the bundled model)
// requiredFiles.ts decides which files a BERT-family model needs; downloadAll.ts fetches them together.

import type { OnBytes } from '../fetchWithProgress';

export type ModelSourceKind = 'hub' | 'local' | 'origin';

export interface ModelFileSource {
  readonly kind: ModelSourceKind;
  /** For messages and the UI, e.g. "prajjwal1/bert-tiny (Hugging Face Hub)". */
  readonly label: string;
  /** Whether the model has this file. Throws a ModelLoadError only when the answer cannot be known. */
  has(file: string): Promise<boolean>;
  /**
   * The file's bytes, complete (a short or broken transfer throws a ModelLoadError). `onBytes` gets each
   * chunk and the file's size when known; a cancel through `signal` rejects with an AbortError.
   */
  fetch(file: string, onBytes: OnBytes, signal?: AbortSignal): Promise<ArrayBuffer>;
  /** The file's size in bytes before fetching it, or null when unknown (used for a combined progress total). */
  size?(file: string): Promise<number | null>;
}
