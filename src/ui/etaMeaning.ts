// What a value of η does on this embedding table (rapt-method.md §2: η is not comparable across tables,
// so the UI always shows its effect next to it).
//
// The noise z = r·u has r ~ Gamma(d, 1/η), so E‖z‖ = d/η. That radius alone misleads in high dimension: u is
// uniform on the sphere, so the component of z along any one direction (e.g. towards the nearest other
// token) has standard deviation √(E[r²]/d) = √(d+1)/η — 16× smaller than E‖z‖ for d = 256. A token changes
// roughly when that component exceeds half the gap to its nearest neighbour.

import type { EtaStatistics } from '../privacy/statistics/etaSweep';

export interface EtaMeaning {
  eta: number;
  dim: number;
  /** E‖z‖ = d/η. */
  expectedNoiseRadius: number;
  /** Standard deviation of z along one direction, √(d+1)/η. */
  noisePerDirection: number;
  /** From the curves, interpolated at η (null when η lies outside the curve's grid or no curve yet). */
  fromCurves: {
    pUnchanged: number;
    meanDistanceMoved: number;
    nearestNeighbourAttack: number;
  } | null;
  /**
   * Estimate of the typical distance from a token to its nearest other candidate: the smallest mean
   * distance moved by changed tokens over the curve's grid (at the largest η where tokens still change,
   * almost every change is to the nearest neighbour).
   */
  typicalNeighbourDistance: number | null;
}

/** Linear interpolation in log η between the grid points around `eta`; null outside the grid. */
export function interpolateAtEta(stats: readonly EtaStatistics[], eta: number, pick: (s: EtaStatistics) => number | null): number | null {
  const points = stats
    .map((s) => ({ eta: s.eta, value: pick(s) }))
    .filter((p): p is { eta: number; value: number } => p.value !== null && Number.isFinite(p.value))
    .sort((a, b) => a.eta - b.eta);
  if (points.length === 0 || !(eta > 0)) return null;
  if (eta < points[0].eta || eta > points[points.length - 1].eta) return null;
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (p.eta === eta) return p.value;
    const q = points[i + 1];
    if (q && eta > p.eta && eta < q.eta) {
      const t = (Math.log(eta) - Math.log(p.eta)) / (Math.log(q.eta) - Math.log(p.eta));
      return p.value + t * (q.value - p.value);
    }
  }
  return null;
}

export function describeEta(eta: number, dim: number, stats: readonly EtaStatistics[]): EtaMeaning {
  const pUnchanged = interpolateAtEta(stats, eta, (s) => s.pUnchanged.value);
  const meanDistanceMoved = interpolateAtEta(stats, eta, (s) => s.meanDistanceMoved);
  const nearestNeighbourAttack = interpolateAtEta(stats, eta, (s) => s.attacks.nearestNeighbour.value);
  const changedMoves = stats.map((s) => s.meanDistanceMovedWhenChanged).filter((d): d is number => d !== null && d > 0);
  return {
    eta,
    dim,
    expectedNoiseRadius: dim / eta,
    noisePerDirection: Math.sqrt(dim + 1) / eta,
    fromCurves:
      pUnchanged !== null && meanDistanceMoved !== null && nearestNeighbourAttack !== null
        ? { pUnchanged, meanDistanceMoved, nearestNeighbourAttack }
        : null,
    typicalNeighbourDistance: changedMoves.length ? Math.min(...changedMoves) : null,
  };
}

/** A number for display: 3 significant digits, no exponent for everyday magnitudes. */
export function formatNumber(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1e6 || abs < 1e-3) return x.toExponential(digits - 1);
  return String(Number(x.toPrecision(digits)));
}

export const formatPercent = (p: number | null | undefined, digits = 1): string =>
  p === null || p === undefined || !Number.isFinite(p) ? '—' : `${(p * 100).toFixed(digits)} %`;
