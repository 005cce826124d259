// The Model panel's logic that needs no DOM and no engine, unit-tested in Node
// (tests/unit/modelPanelLogic.test.ts): cosine similarities for the sanity check, formatting of sizes and
// counts, the sentence list, the cached Hub models grouped from Cache Storage keys, and the label of a
// picked or dropped local folder.

import type { LoadProgress } from '../model/loadedModel';
import { HUB_BASE_URL, fileOfCacheKey, hubAddress } from '../model/sources/hubAddress';
import type { CachedFile } from '../model/sources/modelCache';

/** Suggested Hub ids (all BERT checkpoints with safetensors weights and a WordPiece tokenizer). */
export const HUB_SUGGESTIONS = ['prajjwal1/bert-tiny', 'google/bert_uncased_L-4_H-256_A-4', 'bert-base-uncased'] as const;

/** Two paraphrases and one unrelated sentence: a working encoder puts the first two closest. */
export const DEFAULT_SIMILARITY_SENTENCES = ['A cat sat on the mat.', 'The cat was sitting on a mat.', 'Stock markets fell sharply this morning.'].join('\n');
export const DEFAULT_FILL_MASK_TEXT = 'The cat sat on the [MASK].';
export const FILL_MASK_TOP_K = 5;
export const MAX_SIMILARITY_SENTENCES = 8;
export const MAX_SANITY_TEXT_CHARS = 500;

// ── the similarity check ─────────────────────────────────────────────────────────────────────────────

/** The non-empty lines of `text`, trimmed; refuses too many or too long sentences with a user message. */
export function parseSentences(text: string): { ok: true; sentences: string[] } | { ok: false; error: string } {
  const sentences = text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (sentences.length < 2) return { ok: false, error: 'Write at least two sentences, one per line.' };
  if (sentences.length > MAX_SIMILARITY_SENTENCES) return { ok: false, error: `At most ${MAX_SIMILARITY_SENTENCES} sentences (one per line); there are ${sentences.length}.` };
  const long = sentences.findIndex((s) => s.length > MAX_SANITY_TEXT_CHARS);
  if (long >= 0) return { ok: false, error: `Sentence ${long + 1} is longer than ${MAX_SANITY_TEXT_CHARS} characters.` };
  return { ok: true, sentences };
}

/**
 * Cosine similarity of every pair of the `n` row vectors in `vectors` ([n × dim], row-major), in double
 * precision. A zero vector has similarity 0 with everything (and NaN is never returned); the diagonal of a
 * non-zero vector is exactly 1.
 */
export function cosineSimilarityMatrix(vectors: ArrayLike<number>, n: number, dim: number): number[][] {
  if (!Number.isInteger(n) || !Number.isInteger(dim) || n < 0 || dim < 0 || vectors.length < n * dim) {
    throw new RangeError(`Expected ${n} vectors of ${dim} values, got ${vectors.length} values.`);
  }
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += vectors[i * dim + k] * vectors[i * dim + k];
    norms[i] = Math.sqrt(s);
  }
  const out: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let value = 0;
      if (norms[i] > 0 && norms[j] > 0) {
        if (i === j) value = 1;
        else {
          let dot = 0;
          for (let k = 0; k < dim; k++) dot += vectors[i * dim + k] * vectors[j * dim + k];
          value = Math.min(1, Math.max(-1, dot / (norms[i] * norms[j])));
        }
      }
      out[i][j] = value;
      out[j][i] = value;
    }
  }
  return out;
}

/** The most similar other sentence of each row (−1 when there is none). */
export function nearestOther(matrix: number[][]): number[] {
  return matrix.map((row, i) => {
    let best = -1;
    for (let j = 0; j < row.length; j++) if (j !== i && (best < 0 || row[j] > row[best])) best = j;
    return best;
  });
}

/** Whether `text` contains a mask token the BERT tokenizers recognise. */
export function hasMaskToken(text: string): boolean {
  return /\[MASK\]/.test(text);
}

// ── formatting ───────────────────────────────────────────────────────────────────────────────────────

/** 4 385 920 → "4.4 M", 110 M, 1.2 B, 25.9 k. */
export function formatParameterCount(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  const units: Array<[number, string]> = [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, unit] of units) {
    if (n >= size) {
      const v = n / size;
      return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${unit}`;
    }
  }
  return String(Math.round(n));
}

/** Bytes as MB (2^20) with one decimal below 100 MB, none above; "< 0.1" for tiny non-zero sizes. */
export function formatMegabytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  const mb = bytes / 2 ** 20;
  if (bytes > 0 && mb < 0.05) return '< 0.1';
  return mb >= 100 ? mb.toFixed(0) : mb.toFixed(1);
}

/** "downloading model.safetensors (3/4 files) · 1.2 of 17.6 MB", or the stage alone when no size is known. */
export function progressText(p: LoadProgress | null): string {
  if (!p) return 'starting…';
  if (p.totalBytes > 0) return `${p.stage} · ${formatMegabytes(p.loadedBytes)} of ${formatMegabytes(p.totalBytes)} MB`;
  return p.stage;
}

export function formatProbability(p: number): string {
  if (!Number.isFinite(p)) return '—';
  if (p > 0 && p < 0.001) return '< 0.1 %';
  return `${(p * 100).toFixed(1)} %`;
}

/** Token ids as sorted ranges: [0, 1, 2, 3, 7, 9, 10] → "0–3, 7, 9, 10"; at most `maxParts` parts shown. */
export function formatIdRanges(ids: readonly number[], maxParts = 40): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    if (j - i >= 2) parts.push(`${sorted[i]}–${sorted[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(sorted[k]));
    i = j + 1;
  }
  if (parts.length === 0) return 'none';
  return parts.length > maxParts ? `${parts.slice(0, maxParts).join(', ')}, … (${parts.length - maxParts} more)` : parts.join(', ');
}

// ── cached Hub models ────────────────────────────────────────────────────────────────────────────────

export interface CachedHubModel {
  id: string;
  /** Revisions whose file list is cached (branch or tag names as the user gave them). */
  revisions: string[];
  /** Model files stored (all revisions). */
  files: number;
  /** Bytes of the files and the file lists. */
  bytes: number;
}

/**
 * Groups the entries of the model cache by Hub model. Keys look like {base}/{owner}/{name}/resolve/{rev}/{file}
 * and {base}/{owner}/{name}/listing/{rev} (hubAddress.ts); ids without an owner ("bert-base-uncased") have
 * one segment. Keys that are not a valid Hub model's (another base URL, anything else) are left out.
 */
export function groupCachedHubModels(entries: readonly CachedFile[], baseUrl: string = HUB_BASE_URL): CachedHubModel[] {
  const prefix = `${baseUrl.replace(/\/+$/, '')}/`;
  const models = new Map<string, CachedHubModel>();
  for (const entry of entries) {
    if (!entry.url.startsWith(prefix)) continue;
    const segments = entry.url.slice(prefix.length).split('/');
    // owner/name/kind/… first (the usual form), then name/kind/….
    for (const idLength of [2, 1]) {
      const kind = segments[idLength];
      if ((kind !== 'resolve' && kind !== 'listing') || segments.length < idLength + 2) continue;
      let id: string;
      try {
        id = segments.slice(0, idLength).map(decodeURIComponent).join('/');
        const address = hubAddress(id, 'main', baseUrl);
        if (!entry.url.startsWith(address.cachePrefix)) continue;
        const model = models.get(id) ?? { id, revisions: [], files: 0, bytes: 0 };
        if (kind === 'resolve') {
          if (!fileOfCacheKey(address, entry.url)) continue;
          model.files++;
        } else {
          if (segments.length !== idLength + 2) continue;
          const revision = decodeURIComponent(segments[idLength + 1]);
          if (!model.revisions.includes(revision)) model.revisions.push(revision);
        }
        model.bytes += entry.bytes;
        models.set(id, model);
        break;
      } catch {
        continue; // not a valid model id or a malformed escape
      }
    }
  }
  return [...models.values()].map((m) => ({ ...m, revisions: [...m.revisions].sort() })).sort((a, b) => a.id.localeCompare(b.id));
}

// ── local folders ────────────────────────────────────────────────────────────────────────────────────

/** A file of a picked or dropped folder with its path inside it ("tiny-bert/config.json"). */
export interface FolderFile {
  path: string;
  file: File;
}

/** The folder name shown for a set of files: their common top folder, else "N files". */
export function localFolderLabel(paths: readonly string[]): string {
  const tops = new Set(paths.map((p) => (p.includes('/') ? p.split('/')[0] : '')));
  const top = tops.size === 1 ? [...tops][0] : '';
  return top ? `${top} (local folder)` : `${paths.length} local file${paths.length === 1 ? '' : 's'}`;
}

/** The path of a File from an <input webkitdirectory> (its webkitRelativePath) or else its name. */
export function pathOfFile(file: File): string {
  return file.webkitRelativePath || file.name;
}

/** Short listing of the picked files for the picker ("config.json, model.safetensors, … (7 files)"). */
export function summarizeFolder(paths: readonly string[], shown = 6): string {
  const names = paths.map((p) => p.split('/').slice(1).join('/') || p).sort();
  return names.slice(0, shown).join(', ') + (names.length > shown ? `, … (${names.length} files)` : '');
}
