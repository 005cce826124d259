// Every URL and cache key for a Hugging Face Hub model, built only from validated parts. A model id, a
// revision and a file name come from the user (or from a file the Hub sent, e.g. a shard index); each is
// checked against the Hub's own naming rules before any URL exists, and every path component is
// percent-encoded, so no input can change the host or the shape of the path ("../x", "https://evil",
// "%2e%2e", "a/b/c" are refused, not encoded).
//
// Layout (as huggingface_hub builds them, hf_hub_url and model_info):
//   file:     {baseUrl}/{owner}/{name}/resolve/{revision}/{file}        revision encoded whole ("refs%2Fpr%2F1")
//   listing:  {baseUrl}/api/models/{owner}/{name}/revision/{revision}?blobs=true
//   cache key of the listing: {baseUrl}/{owner}/{name}/listing/{revision} (so one prefix holds a whole model)

import { ModelLoadError } from '../fetchWithProgress';

export const HUB_BASE_URL = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';

const MAX_ID_LENGTH = 96;
const MAX_REVISION_LENGTH = 128;
const MAX_FILE_LENGTH = 256;

// The Hub's repo-name rule (huggingface_hub REPO_ID_REGEX): word characters, '-' and '.', starting and
// ending with a word character; "--" and ".." are refused.
const ID_PART = /^[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/;
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

function refuse(what: string, value: string, rule: string): never {
  const shown = value.length > 60 ? `${value.slice(0, 60)}…` : value;
  throw new ModelLoadError(`${JSON.stringify(shown)} is not a valid ${what}: ${rule}`);
}

/** Checks a model id ("owner/name" or "name"); returns it unchanged or throws a ModelLoadError. */
export function validateModelId(modelId: string): string {
  const rule = `use owner/name as on the model's Hub page, e.g. prajjwal1/bert-tiny (letters, digits, '.', '_', '-'; at most ${MAX_ID_LENGTH} characters).`;
  if (typeof modelId !== 'string' || modelId.length === 0 || modelId.length > MAX_ID_LENGTH) refuse('Hugging Face model id', String(modelId), rule);
  const parts = modelId.split('/');
  if (parts.length > 2 || !parts.every((p) => ID_PART.test(p)) || modelId.includes('..') || modelId.includes('--')) {
    refuse('Hugging Face model id', modelId, rule);
  }
  return modelId;
}

/** Checks a revision: a branch, tag or commit hash, possibly with '/' as in "refs/pr/1". */
export function validateRevision(revision: string): string {
  const rule = `use a branch, tag or commit hash such as main, v1.0 or refs/pr/1 (letters, digits, '.', '_', '-', '/').`;
  if (typeof revision !== 'string' || revision.length === 0 || revision.length > MAX_REVISION_LENGTH) refuse('revision', String(revision), rule);
  const segments = revision.split('/');
  if (!segments.every((s) => SEGMENT.test(s)) || revision.includes('..')) refuse('revision', revision, rule);
  return revision;
}

/** Checks a file path inside a repository ("config.json", "model-00001-of-00002.safetensors", "onnx/x.onnx"). */
export function validateRepoFilePath(file: string): string {
  const rule = `file names in a model are letters, digits, '.', '_', '-' and '/' between folders.`;
  if (typeof file !== 'string' || file.length === 0 || file.length > MAX_FILE_LENGTH) refuse('model file name', String(file), rule);
  const segments = file.split('/');
  if (!segments.every((s) => SEGMENT.test(s)) || file.includes('..')) refuse('model file name', file, rule);
  return file;
}

/** Checks the Hub's base URL (an app setting: huggingface.co or a mirror) and drops a trailing '/'. */
export function validateBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    refuse('Hub address', baseUrl, 'use an http(s) address such as https://huggingface.co.');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
    refuse('Hub address', baseUrl, 'use an http(s) address such as https://huggingface.co, without query or credentials.');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

export interface HubAddress {
  readonly baseUrl: string;
  readonly modelId: string;
  readonly revision: string;
  /** Host shown in messages ("huggingface.co"). */
  readonly host: string;
  /** URL of a file at a revision (the requested one, or the commit the listing resolved it to). */
  fileUrl(file: string, revision?: string): string;
  /** The Hub API's file listing with sizes and hashes. */
  readonly listingUrl: string;
  readonly listingCacheKey: string;
  /** Prefix of every cache key of this model (all revisions). */
  readonly cachePrefix: string;
}

export function hubAddress(modelId: string, revision: string = DEFAULT_REVISION, baseUrl: string = HUB_BASE_URL): HubAddress {
  const base = validateBaseUrl(baseUrl);
  const id = validateModelId(modelId);
  const rev = validateRevision(revision);
  const modelPath = `${base}/${encodePath(id)}`;
  return {
    baseUrl: base,
    modelId: id,
    revision: rev,
    host: new URL(base).host,
    fileUrl: (file, at = rev) => `${modelPath}/resolve/${encodeURIComponent(validateRevision(at))}/${encodePath(validateRepoFilePath(file))}`,
    listingUrl: `${base}/api/models/${encodePath(id)}/revision/${encodeURIComponent(rev)}?blobs=true`,
    listingCacheKey: `${modelPath}/listing/${encodeURIComponent(rev)}`,
    cachePrefix: `${modelPath}/`,
  };
}

/** The repository file a cache key of `address` stores, or null for keys that are not files of it. */
export function fileOfCacheKey(address: HubAddress, key: string): { revision: string; file: string } | null {
  if (!key.startsWith(address.cachePrefix)) return null;
  const match = /^resolve\/([^/]+)\/(.+)$/.exec(key.slice(address.cachePrefix.length));
  if (!match) return null;
  try {
    return { revision: decodeURIComponent(match[1]), file: match[2].split('/').map(decodeURIComponent).join('/') };
  } catch {
    return null;
  }
}
