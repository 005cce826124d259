// The files of a folder dropped on the Model panel. A drop carries directory entries (webkitGetAsEntry);
// their files have no webkitRelativePath, so each one is re-wrapped as a File named by its path inside the
// drop ("tiny-bert/config.json") — the local model source finds files by trailing path segments, and the
// name survives the structured clone to the engine worker. Plain dropped files (no entries API, or files
// rather than a folder) are taken as they are. Only the small entry interfaces used are declared, so this
// is unit-tested with fakes.

import type { FolderFile } from './modelPanelLogic';

/** The parts of FileSystemEntry / FileSystemDirectoryEntry / FileSystemFileEntry used here. */
export interface EntryLike {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly name: string;
  file?(success: (file: File) => void, failure?: (error: unknown) => void): void;
  createReader?(): { readEntries(success: (entries: EntryLike[]) => void, failure?: (error: unknown) => void): void };
}

/** The parts of DataTransferItem used here. */
export interface DropItemLike {
  readonly kind: string;
  webkitGetAsEntry?(): EntryLike | null;
  getAsFile(): File | null;
}

/** At most this many files are read from one drop (a model folder has a handful; a home folder has millions). */
export const MAX_DROPPED_FILES = 2000;

function fileOf(entry: EntryLike): Promise<File> {
  return new Promise((resolve, reject) => entry.file!(resolve, reject));
}

/** Every entry of a directory: readEntries answers in batches until it answers an empty one. */
async function childrenOf(entry: EntryLike): Promise<EntryLike[]> {
  const reader = entry.createReader!();
  const out: EntryLike[] = [];
  for (;;) {
    const batch = await new Promise<EntryLike[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

async function walk(entry: EntryLike, prefix: string, out: FolderFile[]): Promise<void> {
  if (out.length >= MAX_DROPPED_FILES) return;
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile && entry.file) {
    const file = await fileOf(entry);
    out.push({ path, file: new File([file], path, { type: file.type, lastModified: file.lastModified }) });
  } else if (entry.isDirectory && entry.createReader) {
    // Hidden folders (.git, .cache) hold Git objects and download metadata, never the model's own files.
    if (prefix && entry.name.startsWith('.')) return;
    for (const child of await childrenOf(entry)) await walk(child, path, out);
  }
}

/**
 * The files of a drop, with their paths. Entries must be taken from the items synchronously, in the drop
 * event itself (the DataTransfer is emptied afterwards), so call this before any await.
 */
export function filesOfDrop(items: ArrayLike<DropItemLike>): Promise<FolderFile[]> {
  const entries: EntryLike[] = [];
  const plain: File[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.() ?? null;
    if (entry) entries.push(entry);
    else {
      const file = item.getAsFile();
      if (file) plain.push(file);
    }
  }
  return (async () => {
    const out: FolderFile[] = plain.map((file) => ({ path: file.name, file }));
    for (const entry of entries) await walk(entry, '', out);
    return out.slice(0, MAX_DROPPED_FILES);
  })();
}
