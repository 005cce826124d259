// Parsing of the explorer's typed settings. Each parser returns a value or a message for the user, so a
// half-typed number never reaches the engine and the field can say what is wrong.

import { ETA_INPUT_MAX } from './etaScale';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const NUMBER = /^[+]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A plain decimal number (no hex, no "Infinity", no empty string — unlike Number()). */
export function parseNumber(text: string): number | null {
  const t = text.trim();
  if (!NUMBER.test(t)) return null;
  const x = Number(t);
  return Number.isFinite(x) ? x : null;
}

export function parseEta(text: string): Parsed<number> {
  const x = parseNumber(text);
  if (x === null) return { ok: false, error: 'η must be a positive number' };
  if (!(x > 0)) return { ok: false, error: 'η must be greater than 0' };
  if (x > ETA_INPUT_MAX) return { ok: false, error: `η must be at most ${ETA_INPUT_MAX.toLocaleString('en-US')}` };
  return { ok: true, value: x };
}

/** Seeds are non-negative integers; the Philox streams take any safe integer. */
export function parseSeed(text: string): Parsed<number> {
  return parseInteger(text, 'the seed', 0, Number.MAX_SAFE_INTEGER);
}

export function parseInteger(text: string, what: string, min: number, max: number): Parsed<number> {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return { ok: false, error: `${what} must be a whole number` };
  const x = Number(t);
  if (!Number.isSafeInteger(x) || x < min || x > max) {
    return { ok: false, error: `${what} must be between ${min.toLocaleString('en-US')} and ${max.toLocaleString('en-US')}` };
  }
  return { ok: true, value: x };
}

/** A fresh 32-bit seed from the platform's CSPRNG (any source would do; this one needs no state). */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}
