// The η-sweep statistics reshaped into long-form points for the three plots (one row per η and series),
// with ±1 standard-error bounds where the statistic is a proportion. Series names and colours live here so
// the plots, their legends and the numbers table agree.

import type { EtaStatistics, Proportion } from '../privacy/statistics/etaSweep';

export interface CurvePoint {
  eta: number;
  series: string;
  value: number;
  /** ±1 SE bounds, clipped to [0, 1] (proportions only). */
  low?: number;
  high?: number;
}

export interface SeriesStyle {
  name: string;
  color: string;
  /** Proportions estimated from few observations are drawn as points with error bars, not a band. */
  errorBars?: boolean;
}

// Observable Plot's default categorical palette (observable10), fixed per series.
export const SERIES = {
  unchanged: { name: 'P(unchanged) = identity attack', color: '#4269d0' },
  nearestNeighbour: { name: 'nearest-neighbour attack', color: '#ff725c' },
  bayes: { name: 'Bayes-optimal attack', color: '#3ca951', errorBars: true },
  moved: { name: 'mean distance moved', color: '#4269d0' },
  movedWhenChanged: { name: 'mean distance moved when changed', color: '#efb118' },
  deniabilityN: { name: 'mean N_w / draws (output = input)', color: '#4269d0' },
  deniabilityS: { name: 'mean S_w / draws (distinct outputs)', color: '#a463f2' },
} satisfies Record<string, SeriesStyle>;

const clip01 = (x: number) => Math.min(1, Math.max(0, x));

function proportionPoint(eta: number, series: string, p: Proportion): CurvePoint {
  return { eta, series, value: p.value, low: clip01(p.value - p.standardError), high: clip01(p.value + p.standardError) };
}

const finished = (stats: readonly (EtaStatistics | null)[]): EtaStatistics[] =>
  stats.filter((s): s is EtaStatistics => s !== null).sort((a, b) => a.eta - b.eta);

/** Plot (a): P(unchanged) and attack success. The identity attack (guess the output itself) succeeds exactly
 * when the token is unchanged, so it is the P(unchanged) curve and is not drawn twice. */
export function attackCurves(stats: readonly (EtaStatistics | null)[]): CurvePoint[] {
  return finished(stats).flatMap((s) => [
    proportionPoint(s.eta, SERIES.unchanged.name, s.pUnchanged),
    proportionPoint(s.eta, SERIES.nearestNeighbour.name, s.attacks.nearestNeighbour),
    ...(s.attacks.bayes ? [proportionPoint(s.eta, SERIES.bayes.name, s.attacks.bayes)] : []),
  ]);
}

/** Plot (b): ‖E[M(w)] − E[w]‖, over all draws and over the draws that changed the token. */
export function distanceCurves(stats: readonly (EtaStatistics | null)[]): CurvePoint[] {
  return finished(stats).flatMap((s) => [
    { eta: s.eta, series: SERIES.moved.name, value: s.meanDistanceMoved },
    ...(s.meanDistanceMovedWhenChanged !== null ? [{ eta: s.eta, series: SERIES.movedWhenChanged.name, value: s.meanDistanceMovedWhenChanged }] : []),
  ]);
}

/** Plot (c): plausible deniability (Feyisetan et al. 2020), both statistics as fractions of the draws so
 * they share one axis: N_w/draws → 1 means w is almost always kept; S_w/draws → 1 means every draw gave a
 * different output. */
export function deniabilityCurves(stats: readonly (EtaStatistics | null)[]): CurvePoint[] {
  return finished(stats).flatMap((s) => {
    const d = s.plausibleDeniability;
    if (d.distinctTokens === 0 || d.draws === 0) return [];
    return [
      { eta: s.eta, series: SERIES.deniabilityN.name, value: d.meanN / d.draws },
      { eta: s.eta, series: SERIES.deniabilityS.name, value: d.meanS / d.draws },
    ];
  });
}

/** The Bayes attack's description from the first η that ran it. */
export function bayesRestriction(stats: readonly (EtaStatistics | null)[]): string | null {
  for (const s of stats) if (s?.attacks.bayes) return s.attacks.bayes.restriction;
  return null;
}
