// The settings of the η-curve computation as the form holds them (numbers bound to inputs may be null
// while a field is empty), and their validation into an engine request.

import type { BayesAttackSettings } from '../privacy/statistics/etaSweep';
import { DEFAULT_ETA_GRID, formatEtaGrid, parseEtaGrid } from './etaGrid';
import type { Parsed } from './inputs';

export type CurveSource = 'text' | 'corpus';
export type CorpusKind = 'bundled' | 'file';

export interface CurveSettings {
  source: CurveSource;
  corpusKind: CorpusKind;
  /** Sentences sampled (seeded) from the corpus. */
  sampleSize: number | null;
  gridText: string;
  /** Privatisations per token occurrence. */
  draws: number | null;
  bayesEnabled: boolean;
  bayesCandidates: number | null;
  bayesDraws: number | null;
  bayesObservations: number | null;
}

export const DEFAULT_CURVE_SETTINGS: CurveSettings = {
  source: 'text',
  corpusKind: 'bundled',
  sampleSize: 20,
  gridText: formatEtaGrid(DEFAULT_ETA_GRID),
  draws: 8,
  bayesEnabled: false,
  bayesCandidates: 8,
  bayesDraws: 16,
  bayesObservations: 32,
};

export interface CurveRequestParts {
  etas: number[];
  draws: number;
  sampleSize: number;
  bayes?: BayesAttackSettings;
}

function wholeNumber(value: number | null, what: string, min: number, max: number): Parsed<number> {
  if (value === null || !Number.isInteger(value) || value < min || value > max) {
    return { ok: false, error: `${what} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}` };
  }
  return { ok: true, value };
}

/** Bounds follow the experiment schema (src/experiments/schema.ts) and the engine's checks (etaSweep.ts). */
export function validateCurveSettings(s: CurveSettings): Parsed<CurveRequestParts> {
  const grid = parseEtaGrid(s.gridText);
  if (!grid.ok) return { ok: false, error: `η grid: ${grid.error}` };
  const draws = wholeNumber(s.draws, 'Draws per token', 1, 1000);
  if (!draws.ok) return draws;
  const sampleSize = s.source === 'corpus' ? wholeNumber(s.sampleSize, 'Sample size', 1, 100_000) : { ok: true as const, value: 1 };
  if (!sampleSize.ok) return sampleSize;
  const parts: CurveRequestParts = { etas: grid.value, draws: draws.value, sampleSize: sampleSize.value };
  if (s.bayesEnabled) {
    const candidates = wholeNumber(s.bayesCandidates, 'Bayes K (candidates)', 1, 256);
    if (!candidates.ok) return candidates;
    const bayesDraws = wholeNumber(s.bayesDraws, 'Bayes B (draws)', 1, 10_000);
    if (!bayesDraws.ok) return bayesDraws;
    const observations = wholeNumber(s.bayesObservations, 'Bayes observations', 1, 100_000);
    if (!observations.ok) return observations;
    parts.bayes = { candidates: candidates.value, draws: bayesDraws.value, observations: observations.value };
  }
  return { ok: true, value: parts };
}
