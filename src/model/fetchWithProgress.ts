// Fetches model files with byte-level progress and clear errors for missing or truncated files.
// readStreamWithProgress and readBodyWithProgress are the one body reader every model source shares
// (src/model/sources/: the Hugging Face Hub, the app's own origin, a local folder).

export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

/** Progress callback: bytes that just arrived, and the file's full size when known. */
export type OnBytes = (delta: number, total: number | null) => void;

/** A stream that failed part-way; `loadedBytes` had arrived before it broke. */
export class StreamBrokenError extends Error {
  override name = 'StreamBrokenError';
  constructor(
    readonly loadedBytes: number,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** True for the error fetch and streams throw when an AbortSignal fires (a cancel, not a failure). */
export function isAbortError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

/** Largest announced size read into one preallocated buffer; a bogus Content-Length must not allocate. */
const MAX_PREALLOCATED_BYTES = 2 ** 31;

function preallocate(bytes: number | null): Uint8Array<ArrayBuffer> | null {
  if (bytes === null || bytes > MAX_PREALLOCATED_BYTES) return null;
  try {
    return new Uint8Array(bytes);
  } catch {
    return null; // out of memory for one block: collect chunks instead
  }
}

/**
 * Reads a byte stream to its end, reporting each chunk. When the size is known the bytes go straight into
 * one buffer of that size (no second copy: model weights can be hundreds of MB). Returns what arrived — the
 * caller compares it with the size it expected. A stream error becomes a StreamBrokenError; an abort is
 * rethrown as the signal's reason.
 */
export async function readStreamWithProgress(
  body: ReadableStream<Uint8Array>,
  expectedBytes: number | null,
  onBytes: OnBytes,
  signal?: AbortSignal,
): Promise<ArrayBuffer> {
  const reader = body.getReader();
  let single = preallocate(expectedBytes);
  let parts: Uint8Array[] = [];
  let loaded = 0;
  try {
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (signal?.aborted) throw abortReason(signal);
        if (isAbortError(e)) throw e;
        throw new StreamBrokenError(loaded, e);
      }
      if (chunk.done) break;
      const value = chunk.value;
      if (single && loaded + value.byteLength > single.byteLength) {
        // More bytes than announced: fall back to collecting parts.
        parts = [single.subarray(0, loaded)];
        single = null;
      }
      if (single) single.set(value, loaded);
      else parts.push(value);
      loaded += value.byteLength;
      // Past the announced size the true total is unknown until the end.
      onBytes(value.byteLength, expectedBytes !== null && loaded <= expectedBytes ? expectedBytes : null);
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  }
  if (single) return loaded === single.byteLength ? single.buffer : single.slice(0, loaded).buffer;
  const out = new Uint8Array(loaded);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out.buffer;
}

/**
 * The size a response announces for its body, or null when unknown. Content-Length counts encoded bytes, so
 * it is ignored when the body was compressed in transit.
 */
export function announcedLength(response: Response): number | null {
  const encoding = response.headers.get('content-encoding');
  if (encoding && encoding.toLowerCase() !== 'identity') return null;
  const header = response.headers.get('content-length');
  return header !== null && /^\s*\d+\s*$/.test(header) ? Number(header) : null;
}

/**
 * Reads a response body with progress. Throws a ModelLoadError naming `what` when the connection breaks or
 * fewer bytes arrive than Content-Length announced. Only a shortfall counts: a cross-origin response may not
 * expose Content-Encoding, and a body decompressed by the browser is then longer than its Content-Length.
 */
export async function readBodyWithProgress(
  response: Response,
  what: string,
  onBytes: OnBytes,
  signal?: AbortSignal,
): Promise<ArrayBuffer> {
  const expected = announcedLength(response);
  let bytes: ArrayBuffer;
  try {
    if (response.body) {
      bytes = await readStreamWithProgress(response.body, expected, onBytes, signal);
    } else {
      bytes = await response.arrayBuffer();
      onBytes(bytes.byteLength, expected ?? bytes.byteLength);
    }
  } catch (e) {
    if (e instanceof StreamBrokenError) {
      const of = expected !== null ? ` of ${expected}` : '';
      throw new ModelLoadError(
        `The download of ${what} broke off after ${e.loadedBytes}${of} bytes (${e.message}). Check the connection and try again.`,
        { cause: e },
      );
    }
    throw e;
  }
  if (expected !== null && bytes.byteLength < expected) {
    throw new ModelLoadError(`The download of ${what} was cut short (${bytes.byteLength} of ${expected} bytes). Try again.`);
  }
  return bytes;
}

export interface FetchOptions {
  signal?: AbortSignal;
  /** Defaults to the global fetch (tests pass a fake). */
  fetchImpl?: typeof fetch;
}

export async function fetchWithProgress(url: string, onBytes: OnBytes, options: FetchOptions = {}): Promise<ArrayBuffer> {
  const doFetch = options.fetchImpl ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  let response: Response;
  try {
    response = await doFetch(url, { signal: options.signal });
  } catch (e) {
    if (isAbortError(e)) throw e;
    throw new ModelLoadError(`Could not download ${url}: ${(e as Error).message}. Check the connection and try again.`, { cause: e });
  }
  if (!response.ok) throw new ModelLoadError(`Could not download ${url}: the server answered ${response.status} ${response.statusText}.`);
  return readBodyWithProgress(response, url, onBytes, options.signal);
}

export async function fetchJson(url: string, onBytes: OnBytes, options: FetchOptions = {}): Promise<unknown> {
  const bytes = await fetchWithProgress(url, onBytes, options);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new ModelLoadError(`${url} is not valid JSON (${(e as Error).message}).`);
  }
}
