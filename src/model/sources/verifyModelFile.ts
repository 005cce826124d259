// Checks that bytes are the file they claim to be before anything uses or caches them. A byte count that
// matches Content-Length is not enough: a captive portal or a proxy answers 200 with a web page, a folder
// cloned without Git LFS holds 130-byte pointer files in place of the weights, and a server that sends no
// Content-Length can end a transfer early without anyone noticing. Each check here catches one of those.

import { ModelLoadError } from '../fetchWithProgress';

/** What the Hub's file listing says a file should be (size, and its LFS SHA-256 or git blob SHA-1). */
export interface ExpectedBlob {
  size: number | null;
  /** SHA-256 of the content, for files stored in Git LFS (all weights). */
  sha256: string | null;
  /** Git blob id, SHA-1 of "blob <size>\0<content>", for small files stored in git itself. */
  gitBlobSha1: string | null;
}

const MB = 1024 * 1024;
/** Git blob ids are only checked for files up to this size (small files stay in git; weights are LFS). */
const GIT_BLOB_CHECK_LIMIT = 64 * MB;

function startText(bytes: Uint8Array, n: number): string {
  let text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, n));
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text.trimStart().toLowerCase();
}

/** A web page where a model file was expected (by Content-Type, or by its first bytes). */
export function looksLikeHtml(file: string, bytes: Uint8Array, contentType: string | null): boolean {
  if (/\.html?$/i.test(file)) return false;
  if (contentType && /^\s*(text\/html|application\/xhtml\+xml)/i.test(contentType)) return true;
  const start = startText(bytes, 512);
  return start.startsWith('<!doctype html') || start.startsWith('<html') || start.startsWith('<head') || start.startsWith('<body');
}

function isLfsPointer(bytes: Uint8Array): boolean {
  return bytes.byteLength < 1024 && startText(bytes, 200).startsWith('version https://git-lfs.github.com/spec/');
}

/**
 * The data length a safetensors header describes (8-byte little-endian header size, JSON header, then the
 * tensors' bytes; the largest `data_offsets` end is the data section's length), checked against the bytes
 * present. Full validation is the format reader's job (src/model/formats/safetensors.ts); this only asks
 * whether the file is whole.
 */
function safetensorsShortfall(bytes: Uint8Array): { needed: number } | { invalid: string } | null {
  if (bytes.byteLength < 8) return { needed: 8 };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = Number(view.getBigUint64(0, true));
  if (headerBytes > 100_000_000) return { invalid: `its header claims ${headerBytes} bytes` };
  if (8 + headerBytes > bytes.byteLength) return { needed: 8 + headerBytes };
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerBytes)));
  } catch {
    return { invalid: 'its header is not JSON' };
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return { invalid: 'its header is not a JSON object' };
  let dataEnd = 0;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const offsets = (entry as { data_offsets?: unknown } | null)?.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      return { invalid: `tensor ${name} has no valid data_offsets` };
    }
    dataEnd = Math.max(dataEnd, offsets[1] as number);
  }
  const needed = 8 + headerBytes + dataEnd;
  return needed > bytes.byteLength ? { needed } : null;
}

/** Throws a ModelLoadError when a server sent a web page (by Content-Type or first bytes) in place of `file`. */
export function checkNotWebPage(file: string, buffer: ArrayBuffer, where: string, contentType: string | null = null): void {
  if (looksLikeHtml(file, new Uint8Array(buffer), contentType)) {
    throw new ModelLoadError(
      `${where} answered with a web page instead of ${file} (a login page, proxy or captive portal?). Open the model page in a new tab to check, then try again.`,
    );
  }
}

/**
 * Throws a ModelLoadError when `bytes` cannot be the whole of `file`: a Git LFS pointer, a web page,
 * JSON that does not parse, or a safetensors file shorter than its own header says.
 */
export function checkModelFileContent(file: string, buffer: ArrayBuffer, where: string, contentType: string | null = null): void {
  const bytes = new Uint8Array(buffer);
  if (isLfsPointer(bytes)) {
    throw new ModelLoadError(
      `${file} in ${where} is a Git LFS pointer (${bytes.byteLength} bytes), not the file itself: the folder was cloned without Git LFS. Run "git lfs pull" in it, or download the files from the model page.`,
    );
  }
  checkNotWebPage(file, buffer, where, contentType);
  if (/\.json$/i.test(file)) {
    try {
      JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new ModelLoadError(`${file} in ${where} is not valid JSON (${(e as Error).message}); it may be incomplete. Try again.`);
    }
  }
  if (/\.safetensors$/i.test(file)) {
    const problem = safetensorsShortfall(bytes);
    if (problem && 'invalid' in problem) {
      throw new ModelLoadError(`${file} in ${where} is not a safetensors file: ${problem.invalid}.`);
    }
    if (problem) {
      throw new ModelLoadError(
        `${file} in ${where} is incomplete: ${bytes.byteLength} bytes, but its header describes ${problem.needed}. Try again (or download it again).`,
      );
    }
  }
}

function hex(digest: ArrayBuffer): string {
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Compares a download with the Hub's listing: size, then the LFS SHA-256 or git blob SHA-1. Hashes are
 * skipped where Web Crypto is unavailable (pages served over plain http from another host).
 */
export async function checkExpectedBlob(file: string, buffer: ArrayBuffer, expected: ExpectedBlob, where: string): Promise<void> {
  if (expected.size !== null && buffer.byteLength !== expected.size) {
    throw new ModelLoadError(
      `${file} from ${where} has ${buffer.byteLength} bytes but the Hub lists ${expected.size}: the download is incomplete or the model changed meanwhile. Try again.`,
    );
  }
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return;
  let actual: string | null = null;
  let wanted: string | null = null;
  if (expected.sha256) {
    wanted = expected.sha256.toLowerCase();
    actual = hex(await subtle.digest('SHA-256', buffer));
  } else if (expected.gitBlobSha1 && buffer.byteLength <= GIT_BLOB_CHECK_LIMIT) {
    wanted = expected.gitBlobSha1.toLowerCase();
    const prefix = new TextEncoder().encode(`blob ${buffer.byteLength}\0`);
    const blob = new Uint8Array(prefix.byteLength + buffer.byteLength);
    blob.set(prefix, 0);
    blob.set(new Uint8Array(buffer), prefix.byteLength);
    actual = hex(await subtle.digest('SHA-1', blob));
  }
  if (wanted !== null && actual !== wanted) {
    throw new ModelLoadError(
      `${file} from ${where} does not match the Hub's checksum (got ${actual?.slice(0, 12)}…, expected ${wanted.slice(0, 12)}…): the download was corrupted. Try again.`,
    );
  }
}
