// A model in a folder on the user's disk: the files of an <input type="file" webkitdirectory> selection
// (each File carries its webkitRelativePath) or of a drop (the UI walks the dropped directory entries and
// passes each file with its path). Files are found by name wherever they sit, so the user may pick the
// model folder itself or its parent; the shallowest match wins, and two matches at the same depth (say
// checkpoint-100/ and checkpoint-200/) are refused rather than guessed. Hidden folders (.git, .cache) are
// skipped: they hold Git LFS objects and download metadata, never the model's own files.

import { ModelLoadError, StreamBrokenError, isAbortError, readStreamWithProgress, type OnBytes } from '../fetchWithProgress';
import type { ModelFileSource } from './modelFileSource';
import { checkModelFileContent } from './verifyModelFile';

/** A file with its path inside the picked or dropped folder ("bert-tiny/config.json"). */
export interface LocalModelFile {
  path: string;
  file: Blob;
}

export interface LocalModelSource extends ModelFileSource {
  readonly kind: 'local';
  /** The usable files' paths, as given. */
  readonly paths: readonly string[];
}

interface Entry {
  path: string;
  segments: string[];
  blob: Blob;
}

function pathOf(item: File | LocalModelFile): { path: string; blob: Blob } {
  if ('path' in item && 'file' in item && typeof item.path === 'string') return { path: item.path, blob: item.file };
  const file = item as File;
  const relative = (file as { webkitRelativePath?: string }).webkitRelativePath;
  return { path: relative || file.name, blob: file };
}

function splitPath(path: string): string[] {
  return path.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.');
}

function folderOf(entry: Entry): string {
  return entry.segments.length > 1 ? `${entry.segments.slice(0, -1).join('/')}/` : './';
}

export function localFilesSource(items: Iterable<File | LocalModelFile>, options: { label?: string } = {}): LocalModelSource {
  const entries: Entry[] = [];
  for (const item of items) {
    const { path, blob } = pathOf(item);
    const segments = splitPath(path);
    if (segments.length === 0) continue;
    if (segments.slice(0, -1).some((s) => s.startsWith('.') || s === '..')) continue;
    entries.push({ path, segments, blob });
  }
  const topFolders = new Set(entries.map((e) => (e.segments.length > 1 ? e.segments[0] : '')));
  const folder = topFolders.size === 1 ? [...topFolders][0] : '';
  const label =
    options.label ?? (folder ? `${folder} (local folder)` : `${entries.length} local file${entries.length === 1 ? '' : 's'}`);

  /** The entry for `file` (a name or a relative path): matches by trailing path segments, shallowest first. */
  function find(file: string): Entry | null {
    const wanted = splitPath(file);
    if (wanted.length === 0) return null;
    const matches = entries.filter((e) => e.segments.length >= wanted.length && wanted.every((w, i) => e.segments[e.segments.length - wanted.length + i] === w));
    if (matches.length === 0) return null;
    const depth = Math.min(...matches.map((m) => m.segments.length));
    const shallowest = matches.filter((m) => m.segments.length === depth);
    if (shallowest.length > 1) {
      throw new ModelLoadError(
        `${file} is in ${shallowest.length} folders at the same level of ${label} (${shallowest.map(folderOf).slice(0, 5).join(', ')}). Pick the folder of the one model you want.`,
      );
    }
    return shallowest[0];
  }

  function missing(file: string): ModelLoadError {
    const names = entries.map((e) => e.segments.join('/')).sort();
    const shown = names.slice(0, 25).join(', ') + (names.length > 25 ? `, … (${names.length} files)` : '');
    return new ModelLoadError(`No ${file} in ${label}. Files present: ${shown || 'none'}.`);
  }

  return {
    kind: 'local',
    label,
    paths: entries.map((e) => e.path),

    async has(file) {
      return find(file) !== null;
    },

    async size(file) {
      return find(file)?.blob.size ?? null;
    },

    async fetch(file, onBytes: OnBytes, signal) {
      const entry = find(file);
      if (!entry) throw missing(file);
      signal?.throwIfAborted();
      const size = entry.blob.size;
      let bytes: ArrayBuffer;
      try {
        if (typeof entry.blob.stream === 'function') {
          bytes = await readStreamWithProgress(entry.blob.stream(), size, onBytes, signal);
        } else {
          bytes = await entry.blob.arrayBuffer();
          onBytes(bytes.byteLength, size);
        }
      } catch (e) {
        if (isAbortError(e)) throw e;
        const cause = e instanceof StreamBrokenError ? e.cause : e;
        throw new ModelLoadError(
          `Could not read ${entry.path} (${cause instanceof Error ? cause.message : String(cause)}). It may have been moved or changed since it was picked: pick the folder again.`,
          { cause },
        );
      }
      if (bytes.byteLength !== size) {
        throw new ModelLoadError(`Could not read all of ${entry.path} (${bytes.byteLength} of ${size} bytes): it may have changed since it was picked. Pick the folder again.`);
      }
      checkModelFileContent(file, bytes, label);
      return bytes;
    },
  };
}
