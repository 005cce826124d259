// Fetches several files of one model with a single progress figure, all or nothing: when one file fails the
// others are cancelled and nothing is returned, so no caller ever holds a model with, say, its config but
// half its weight shards. (Files already complete stay in the Hub cache — they are whole and verified — so
// a retry only downloads what is left.)

import { ModelLoadError, isAbortError } from '../fetchWithProgress';
import type { ModelFileSource } from './modelFileSource';

export interface DownloadProgress {
  /** The file whose bytes just arrived (or that just finished). */
  file: string;
  /** Bytes of all files so far. */
  loadedBytes: number;
  /** Sum of all files' sizes, or null while any size is still unknown. */
  totalBytes: number | null;
  filesDone: number;
  filesTotal: number;
}

export interface DownloadOptions {
  signal?: AbortSignal;
  /** Files fetched at once (default 3: a large weights file and the small ones alongside). */
  concurrency?: number;
}

export async function downloadAll(
  source: ModelFileSource,
  files: readonly string[],
  onProgress: (progress: DownloadProgress) => void,
  options: DownloadOptions = {},
): Promise<Map<string, ArrayBuffer>> {
  const names = [...new Set(files)];
  const outer = options.signal;
  outer?.throwIfAborted();
  const controller = new AbortController();
  const cancel = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', cancel, { once: true });

  const loaded = new Map<string, number>(names.map((f) => [f, 0]));
  const totals = new Map<string, number | null>(names.map((f) => [f, null]));
  if (source.size) {
    // Sizes up front give the bar its full length from the start; a failure here only means "unknown".
    const sizes = await Promise.all(names.map((f) => source.size!(f).catch(() => null)));
    names.forEach((f, i) => totals.set(f, sizes[i]));
  }
  let filesDone = 0;
  const report = (file: string) => {
    let loadedBytes = 0;
    let totalBytes: number | null = 0;
    for (const f of names) {
      loadedBytes += loaded.get(f)!;
      const t = totals.get(f)!;
      totalBytes = totalBytes === null || t === null ? null : totalBytes + t;
    }
    onProgress({ file, loadedBytes, totalBytes, filesDone, filesTotal: names.length });
  };

  const results = new Map<string, ArrayBuffer>();
  let failure = null as { file: string; error: unknown } | null;
  let next = 0;
  const worker = async () => {
    while (next < names.length && !failure && !controller.signal.aborted) {
      const file = names[next++];
      try {
        const bytes = await source.fetch(
          file,
          (delta, total) => {
            loaded.set(file, loaded.get(file)! + delta);
            if (total !== null) totals.set(file, total);
            report(file);
          },
          controller.signal,
        );
        // The file's true size from now on, whatever was announced.
        loaded.set(file, bytes.byteLength);
        totals.set(file, bytes.byteLength);
        results.set(file, bytes);
        filesDone++;
        report(file);
      } catch (error) {
        failure ??= { file, error };
        controller.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 3, names.length)) }, worker));
  } finally {
    outer?.removeEventListener('abort', cancel);
  }

  if (outer?.aborted) throw outer.reason;
  if (failure) {
    const { file, error } = failure;
    if (isAbortError(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ModelLoadError(
      `${error instanceof ModelLoadError ? reason : `Could not load ${file} of ${source.label}: ${reason}`} ` +
        `Nothing was loaded (${results.size} of ${names.length} files had arrived).`,
      { cause: error },
    );
  }
  return results;
}
