// Model files served by the app itself: the bundled model, which scripts/build-assets.ts copies to
// public/generated/models/use-lite/ so it loads offline with the app (docs: shared/docs/bundled-model.md).
// The browser's HTTP cache and the service worker, not ModelCache, keep these. A missing file on a static
// host or the Vite dev server may come back as index.html with status 200 (the single-page fallback), so a
// web page counts as "not there".

import { ModelLoadError, announcedLength, isAbortError, readBodyWithProgress, type OnBytes } from '../fetchWithProgress';
import { validateRepoFilePath } from './hubAddress';
import type { ModelFileSource } from './modelFileSource';
import { checkModelFileContent, looksLikeHtml } from './verifyModelFile';

export interface OriginModelSource extends ModelFileSource {
  readonly kind: 'origin';
  readonly baseUrl: string;
}

/** Accepts a path on this origin ("/generated/models/use-lite/", "./models/") and ends it with '/'. */
function sameOriginBase(baseUrl: string): string {
  const location = (globalThis as { location?: { origin?: string } }).location;
  const absolute = /^[a-z][a-z0-9+.-]*:/i.test(baseUrl) || baseUrl.startsWith('//') || baseUrl.startsWith('\\');
  if (absolute) {
    let origin: string | null = null;
    try {
      origin = new URL(baseUrl).origin;
    } catch {
      origin = null;
    }
    if (!location?.origin || origin !== location.origin) {
      throw new ModelLoadError(`${baseUrl} is not on this app's origin; the app's own model files are served from a path such as /generated/models/.`);
    }
  }
  return baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
}

export function originSource(baseUrl: string, options: { label?: string; fetchImpl?: typeof fetch } = {}): OriginModelSource {
  const base = sameOriginBase(baseUrl);
  const doFetch = options.fetchImpl ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const label = options.label ?? `${base} (this app)`;
  const urlOf = (file: string) => base + validateRepoFilePath(file).split('/').map(encodeURIComponent).join('/');

  async function request(file: string, init: RequestInit): Promise<Response> {
    try {
      return await doFetch(urlOf(file), init);
    } catch (e) {
      if (isAbortError(e)) throw e;
      throw new ModelLoadError(`Could not load ${file} of ${label}: ${e instanceof Error ? e.message : String(e)}. Reload the page and try again.`, {
        cause: e,
      });
    }
  }

  function statusError(response: Response, file: string): ModelLoadError {
    if (response.status === 404) {
      return new ModelLoadError(`${file} of ${label} is not on the server (404): the build is missing its model files (npm run assets copies them).`);
    }
    return new ModelLoadError(`Could not load ${file} of ${label}: the server answered ${response.status} ${response.statusText}.`);
  }

  return {
    kind: 'origin',
    label,
    baseUrl: base,

    async has(file) {
      const response = await request(file, { method: 'HEAD' });
      if (response.status === 404) return false;
      if (!response.ok) throw statusError(response, file);
      return !looksLikeHtml(file, new Uint8Array(0), response.headers.get('content-type'));
    },

    async size(file) {
      const response = await request(file, { method: 'HEAD' });
      return response.ok && !looksLikeHtml(file, new Uint8Array(0), response.headers.get('content-type')) ? announcedLength(response) : null;
    },

    async fetch(file, onBytes: OnBytes, signal) {
      const response = await request(file, { signal });
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        throw statusError(response, file);
      }
      if (looksLikeHtml(file, new Uint8Array(0), response.headers.get('content-type'))) {
        await response.body?.cancel().catch(() => {});
        throw new ModelLoadError(`${file} of ${label} is not on the server (it answered with a web page): the build is missing its model files (npm run assets copies them).`);
      }
      const bytes = await readBodyWithProgress(response, `${file} of ${label}`, onBytes, signal);
      checkModelFileContent(file, bytes, label);
      return bytes;
    },
  };
}

/** The bundled USE-Lite model (src/model/bundled/useLite.ts reads it), under Vite's base path. */
export function bundledUseLiteSource(options: { fetchImpl?: typeof fetch } = {}): OriginModelSource {
  const base = import.meta.env?.BASE_URL ?? '/';
  return originSource(`${base}generated/models/use-lite/`, { label: 'USE-Lite (bundled with the app)', ...options });
}
