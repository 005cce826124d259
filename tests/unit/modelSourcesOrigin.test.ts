// Model files from the app's own origin (the bundled model), and the shared body reader in
// fetchWithProgress.ts that every source uses.

import { describe, expect, it, vi } from 'vitest';
import { ModelLoadError, fetchJson, fetchWithProgress, readBodyWithProgress } from '../../src/model/fetchWithProgress';
import { bundledUseLiteSource, originSource } from '../../src/model/sources/originSource';

const served: Record<string, string> = { 'model.json': '{"format":"graph-model"}', 'group1-shard1of1.bin': 'abcdefgh' };

/** A static server with the single-page fallback: unknown paths under /app/ answer index.html with 200. */
function staticServer() {
  return vi.fn(async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const path = String(input);
    const name = path.replace(/^\/generated\/models\/use-lite\//, '');
    const body = served[name];
    if (body !== undefined) {
      return new Response(init?.method === 'HEAD' ? null : body, { headers: { 'content-length': String(body.length), 'content-type': 'application/octet-stream' } });
    }
    if (path.startsWith('/generated/models/missing/')) return new Response(null, { status: 404 });
    return new Response(init?.method === 'HEAD' ? null : '<!doctype html><html></html>', { headers: { 'content-type': 'text/html' } });
  });
}

describe('originSource', () => {
  it('serves the bundled model under the base path, with progress', async () => {
    const server = staticServer();
    const source = bundledUseLiteSource({ fetchImpl: server as unknown as typeof fetch });
    expect(source.baseUrl).toBe('/generated/models/use-lite/');
    expect(source.label).toBe('USE-Lite (bundled with the app)');
    expect(await source.has('model.json')).toBe(true);
    expect(await source.size!('group1-shard1of1.bin')).toBe(8);
    let sum = 0;
    const bytes = await source.fetch('group1-shard1of1.bin', (delta, total) => {
      sum += delta;
      expect(total).toBe(8);
    });
    expect(new TextDecoder().decode(bytes)).toBe('abcdefgh');
    expect(sum).toBe(8);
    expect(server).toHaveBeenLastCalledWith('/generated/models/use-lite/group1-shard1of1.bin', expect.anything());
  });

  it('treats the single-page fallback (index.html with 200) and 404 as absent', async () => {
    const fetchImpl = staticServer() as unknown as typeof fetch;
    const source = originSource('/generated/models/use-lite', { fetchImpl });
    expect(await source.has('vocab.json')).toBe(false);
    await expect(source.fetch('vocab.json', () => {})).rejects.toThrow(/answered with a web page\): the build is missing its model files \(npm run assets/);
    const missing = originSource('/generated/models/missing/', { fetchImpl });
    expect(await missing.has('model.json')).toBe(false);
    await expect(missing.fetch('model.json', () => {})).rejects.toThrow(/is not on the server \(404\)/);
  });

  it('refuses other origins and file names that would leave the base path', async () => {
    expect(() => originSource('https://evil.com/models/')).toThrow(ModelLoadError);
    expect(() => originSource('//evil.com/models/')).toThrow(ModelLoadError);
    const server = staticServer();
    const source = originSource('/generated/models/use-lite/', { fetchImpl: server as unknown as typeof fetch });
    await expect(source.fetch('../../secret', () => {})).rejects.toThrow(ModelLoadError);
    await expect(source.has('https://evil.com/x')).rejects.toThrow(ModelLoadError);
    expect(server).not.toHaveBeenCalled();
  });
});

describe('fetchWithProgress', () => {
  const chunks = (parts: string[], headers: Record<string, string> = {}) =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const p of parts) controller.enqueue(new TextEncoder().encode(p));
          controller.close();
        },
      }),
      { headers },
    );

  it('keeps its original call shape: fetchWithProgress(url, onBytes) and fetchJson(url, onBytes)', async () => {
    const real = globalThis.fetch;
    globalThis.fetch = (async () => chunks(['{"a":', '1}'], { 'content-length': '7' })) as typeof fetch;
    try {
      const deltas: number[] = [];
      expect(await fetchJson('/x.json', (delta: number) => deltas.push(delta))).toEqual({ a: 1 });
      expect(deltas).toEqual([5, 2]);
      expect((await fetchWithProgress('/x.json', () => {})).byteLength).toBe(7);
    } finally {
      globalThis.fetch = real;
    }
  });

  it('reports a body cut short, a broken connection, and passes totals', async () => {
    await expect(readBodyWithProgress(chunks(['abc'], { 'content-length': '10' }), 'x.bin', () => {})).rejects.toThrow('The download of x.bin was cut short (3 of 10 bytes). Try again.');
    let sent = false;
    const broken = new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          // First read: 4 bytes; second read: the connection drops.
          if (sent) return controller.error(new TypeError('network error'));
          sent = true;
          controller.enqueue(new Uint8Array(4));
        },
      }),
      { headers: { 'content-length': '10' } },
    );
    await expect(readBodyWithProgress(broken, 'x.bin', () => {})).rejects.toThrow('The download of x.bin broke off after 4 of 10 bytes (network error).');
    // A compressed body: Content-Length counts encoded bytes, so it is not a total.
    const totals: Array<number | null> = [];
    await readBodyWithProgress(chunks(['abcdef'], { 'content-length': '3', 'content-encoding': 'gzip' }), 'x', (_d, t) => totals.push(t));
    expect(totals).toEqual([null]);
    // Longer than announced (decompressed without a visible Content-Encoding) is not an error.
    expect((await readBodyWithProgress(chunks(['abc', 'def'], { 'content-length': '4' }), 'x', () => {})).byteLength).toBe(6);
  });
});
