// Fetches model files with byte-level progress and clear errors for missing or truncated files.

export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

export async function fetchWithProgress(url: string, onBytes: (delta: number) => void): Promise<ArrayBuffer> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new ModelLoadError(`Could not download ${url}: ${(e as Error).message}. Check the connection and try again.`);
  }
  if (!response.ok) throw new ModelLoadError(`Could not download ${url}: the server answered ${response.status} ${response.statusText}.`);
  const expected = Number(response.headers.get('content-length') ?? NaN);
  if (!response.body) {
    const buf = await response.arrayBuffer();
    onBytes(buf.byteLength);
    return buf;
  }
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    total += value.byteLength;
    onBytes(value.byteLength);
  }
  // Content-Length counts encoded bytes; only compare when the body was not compressed in transit.
  const encoded = response.headers.get('content-encoding');
  if (Number.isFinite(expected) && !encoded && total !== expected) {
    throw new ModelLoadError(`The download of ${url} was cut short (${total} of ${expected} bytes). Try again.`);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out.buffer;
}

export async function fetchJson(url: string, onBytes: (delta: number) => void): Promise<unknown> {
  const bytes = await fetchWithProgress(url, onBytes);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new ModelLoadError(`${url} is not valid JSON (${(e as Error).message}).`);
  }
}
