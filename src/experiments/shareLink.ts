// "Copy link": an experiment spec — never data, never results — carried in the URL's hash, where it never
// reaches a server. Every kind of experiment (privatize, train, compare) travels the same way: the codec
// walks the schema's union. A corpus typed into the builder (`inline`) is data, so such a spec gets no link;
// a file corpus or labelled data file travels as its name only.
//
//   https://…/#spec=1.<payload>      payload = base64url( zlib-deflate( UTF-8( JSON( spec without defaults ))))
//
// `1` is the link format (this encoding); the spec inside carries its own schemaVersion, so a link made by an
// older RAPT Lab is migrated like any old spec file. Decoding is strict and bounded, and every failure is a
// ShareLinkError with a message for the user: a link is untrusted input (anyone can craft one), so it is
// only ever parsed as data and validated by the schema before anything reads it. zlib's Adler-32 checksum
// catches most corruption; the size limits stop decompression bombs. Compression uses the platform's
// CompressionStream (browsers and Node ≥ 18), so no library is needed.

import { experimentSpecSchema, parseExperimentSpec, type ExperimentSpec } from './schema';
import { SpecError } from './specError';
import { describeField, withoutDefaults } from './specFields';

export const LINK_PARAM = 'spec';
export const LINK_FORMAT = 1;
/** Characters of payload in a link; long enough for any spec without a large inline corpus. */
export const MAX_LINK_PAYLOAD = 8192;
/** Bytes of spec JSON a link may inflate to. */
export const MAX_LINK_JSON_BYTES = 64 * 1024;

export class ShareLinkError extends Error {
  override name = 'ShareLinkError';
}

const specFields = describeField(experimentSpecSchema);

// ── base64url (RFC 4648 §5, no padding) ──────────────────────────────────────────────────────────────────

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE_OF = new Map([...ALPHABET].map((c, i) => [c, i]));

export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = i + 2 < bytes.length ? 4 : i + 1 < bytes.length ? 3 : 2;
    for (let c = 0; c < chars; c++) out += ALPHABET[(n >> (18 - 6 * c)) & 63];
  }
  return out;
}

export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new ShareLinkError('The link is damaged: it contains characters a RAPT Lab link never has.');
  if (text.length % 4 === 1) throw new ShareLinkError('The link is damaged: its data has an impossible length (was it cut off when copied?).');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    const chunk = text.slice(i, i + 4);
    for (let c = 0; c < 4; c++) {
      const v = c < chunk.length ? VALUE_OF.get(chunk[c]) : 0;
      if (v === undefined) throw new ShareLinkError('The link is damaged: it contains characters a RAPT Lab link never has.');
      n = (n << 6) | v;
    }
    const bytes = chunk.length - 1;
    for (let b = 0; b < bytes; b++) out[o++] = (n >> (16 - 8 * b)) & 255;
  }
  return out;
}

// ── compression ──────────────────────────────────────────────────────────────────────────────────────────

async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Inflates at most `limit` bytes; more is refused without decompressing the rest. */
async function inflate(bytes: Uint8Array, limit: number): Promise<Uint8Array> {
  const stream = new DecompressionStream('deflate');
  const writer = stream.writable.getWriter();
  // Errors surface on the reader; the writer's own promises are settled here so none goes unhandled.
  writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw new ShareLinkError(`The link's experiment is larger than ${limit / 1024} KiB when unpacked; RAPT Lab links never are.`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof ShareLinkError) throw e;
    throw new ShareLinkError('The link is damaged: its data does not unpack (was it cut off or edited?).');
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

// ── the codec ────────────────────────────────────────────────────────────────────────────────────────────

/** The hash fragment ("#spec=1.…") for a validated spec. Throws ShareLinkError when it would be too long. */
export async function encodeShareHash(spec: ExperimentSpec): Promise<string> {
  if (spec.kind === 'privatize' && spec.corpus.kind === 'inline') {
    // Typed texts are the user's data, and a link never carries data.
    throw new ShareLinkError(
      'Links carry the experiment, never your data, and this corpus is text typed here. To share the experiment, use the bundled corpus or a file (whoever opens the link chooses their own copy), or download the spec file and send it yourself.',
    );
  }
  const json = JSON.stringify(withoutDefaults(specFields, spec));
  const payload = toBase64Url(await deflate(new TextEncoder().encode(json)));
  if (payload.length > MAX_LINK_PAYLOAD) {
    throw new ShareLinkError(
      `This experiment is too large for a link (${payload.length.toLocaleString('en-US')} characters; the limit is ${MAX_LINK_PAYLOAD.toLocaleString('en-US')}). Download it as a spec file instead.`,
    );
  }
  return `#${LINK_PARAM}=${LINK_FORMAT}.${payload}`;
}

/** The full link: this page's address with the spec in its hash. */
export async function encodeShareLink(spec: ExperimentSpec, pageUrl: string): Promise<string> {
  const url = new URL(pageUrl);
  url.hash = (await encodeShareHash(spec)).slice(1);
  return url.href;
}

/** Whether a hash fragment is meant to be a share link (even a broken one). */
export function isShareHash(hash: string): boolean {
  return hash.replace(/^#/, '').startsWith(`${LINK_PARAM}=`);
}

/**
 * The spec in a hash fragment, validated. Returns null for hashes that are not share links (e.g. "#models");
 * throws ShareLinkError (never anything else) for a share link that cannot be used.
 */
export async function decodeShareHash(hash: string): Promise<ExperimentSpec | null> {
  if (typeof hash !== 'string' || !isShareHash(hash)) return null;
  const body = hash.replace(/^#/, '').slice(LINK_PARAM.length + 1);
  if (body.length > MAX_LINK_PAYLOAD + 16) throw new ShareLinkError(`The link is too long to be a RAPT Lab link (${body.length.toLocaleString('en-US')} characters).`);
  const dot = body.indexOf('.');
  const format = dot > 0 ? body.slice(0, dot) : '';
  if (!/^[0-9]{1,4}$/.test(format)) throw new ShareLinkError('The link is damaged: it does not say which link format it uses.');
  if (Number(format) !== LINK_FORMAT) {
    throw new ShareLinkError(
      Number(format) > LINK_FORMAT
        ? `The link uses link format ${format}, made by a newer RAPT Lab; this one reads format ${LINK_FORMAT}. Open it in a newer RAPT Lab.`
        : `The link uses link format ${format}, which no RAPT Lab release wrote.`,
    );
  }
  const payload = body.slice(dot + 1);
  if (payload.length === 0) throw new ShareLinkError('The link is damaged: it carries no experiment.');
  const bytes = await inflate(fromBase64Url(payload), MAX_LINK_JSON_BYTES);
  let json: string;
  try {
    json = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ShareLinkError('The link is damaged: its experiment is not text.');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new ShareLinkError('The link is damaged: its experiment is not valid JSON.');
  }
  try {
    return parseExperimentSpec(raw);
  } catch (e) {
    if (e instanceof SpecError) throw new ShareLinkError(`The link's experiment cannot be used. ${e.message}`);
    throw new ShareLinkError('The link is damaged: its experiment could not be read.');
  }
}
