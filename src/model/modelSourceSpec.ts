// Where a model comes from, as plain data the UI can send to the engine worker (File objects clone).

import { hubSource } from './sources/hubSource';
import { localFilesSource } from './sources/localFilesSource';
import { openBrowserModelCache } from './sources/modelCache';
import type { ModelFileSource } from './sources/modelFileSource';

export type ModelSourceSpec =
  | { kind: 'bundled' }
  | { kind: 'hub'; id: string; revision?: string }
  | { kind: 'local'; files: File[]; label?: string };

/** The file source for a Hub or local model (the bundled model has its own loader). */
export function openModelSource(spec: Exclude<ModelSourceSpec, { kind: 'bundled' }>, hubBaseUrl?: string): ModelFileSource {
  if (spec.kind === 'hub') {
    return hubSource(spec.id, { revision: spec.revision, cache: openBrowserModelCache(), ...(hubBaseUrl ? { baseUrl: hubBaseUrl } : {}) });
  }
  return localFilesSource(spec.files, { label: spec.label ?? 'local folder' });
}

export function describeModelSource(spec: ModelSourceSpec): string {
  if (spec.kind === 'bundled') return 'USE-Lite (bundled)';
  if (spec.kind === 'hub') return `${spec.id}${spec.revision ? `@${spec.revision}` : ''} (Hugging Face Hub)`;
  return spec.label ?? `local folder (${spec.files.length} files)`;
}
