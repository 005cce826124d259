import { describe, expect, it } from 'vitest';
import { parseTable } from '../../src/data/tabular';
import type { EtaStatistics } from '../../src/privacy/statistics/etaSweep';
import { describeBadRows, formatFor, guessTextColumn, selectCorpusTexts } from '../../src/ui/corpusFile';
import { DEFAULT_CURVE_SETTINGS, validateCurveSettings } from '../../src/ui/curveSettings';
import { LatestOnly } from '../../src/ui/engineQueue';
import { describeError, isCancelled, isWebGpuUnavailable, webGpuMissingReason } from '../../src/ui/errorMessage';
import { SERIES, attackCurves, bayesRestriction, deniabilityCurves, distanceCurves } from '../../src/ui/etaCurveData';
import { describeEta, formatNumber, formatPercent, interpolateAtEta } from '../../src/ui/etaMeaning';
import { exportFileName } from '../../src/ui/plotExport';
import { changedSummary, splitWordStart } from '../../src/ui/tokenDisplay';

const proportion = (value: number, n = 100) => ({ value, standardError: Math.sqrt((value * (1 - value)) / n), n });

function stats(eta: number, pUnchanged: number, options: { bayes?: number; movedWhenChanged?: number | null } = {}): EtaStatistics {
  return {
    eta,
    expectedNoiseRadius: 256 / eta,
    occurrences: 10,
    pUnchanged: proportion(pUnchanged),
    meanDistanceMoved: 4 * (1 - pUnchanged),
    meanDistanceMovedWhenChanged: options.movedWhenChanged === undefined ? 4 : options.movedWhenChanged,
    plausibleDeniability: { draws: 8, distinctTokens: 10, meanN: 8 * pUnchanged, medianN: 8 * pUnchanged, meanS: 1 + 7 * (1 - pUnchanged), medianS: 1 },
    attacks: {
      identity: proportion(pUnchanged),
      nearestNeighbour: proportion(0.05),
      bayes: options.bayes === undefined ? null : { ...proportion(options.bayes, 32), candidates: 8, draws: 16, restriction: 'K = 8 nearest' },
    },
    seconds: 0.1,
  };
}


describe('LatestOnly', () => {
  it('only the newest ticket is current', () => {
    const latest = new LatestOnly();
    const first = latest.next();
    expect(latest.isLatest(first)).toBe(true);
    const second = latest.next();
    expect(latest.isLatest(first)).toBe(false);
    expect(latest.isLatest(second)).toBe(true);
  });
});

describe('error messages', () => {
  it('titles errors by name and keeps the user-facing message', () => {
    const lost = Object.assign(new Error('The GPU device was lost (reset). Reload the page.'), { name: 'GpuError' });
    expect(describeError(lost)).toEqual({ title: 'The GPU device was lost', name: 'GpuError', message: lost.message });
    const model = Object.assign(new Error('Could not download x'), { name: 'ModelLoadError' });
    expect(describeError(model).title).toBe('The model could not be loaded');
    expect(describeError('plain string')).toEqual({ title: 'Something went wrong', name: 'Error', message: 'plain string' });
    expect(describeError({ name: 'DatasetError', message: 'no usable rows' }).title).toBe('The file could not be read');
  });

  it('recognises WebGPU being unavailable and cancellation', () => {
    const unavailable = Object.assign(new Error('WebGPU is not available: no adapter.'), { name: 'GpuError' });
    expect(isWebGpuUnavailable(unavailable)).toBe(true);
    expect(isWebGpuUnavailable(Object.assign(new Error('The GPU device was lost'), { name: 'GpuError' }))).toBe(false);
    expect(isWebGpuUnavailable(new Error('WebGPU is not available'))).toBe(false);
    expect(isCancelled(Object.assign(new Error('cancelled'), { name: 'CancelledError' }))).toBe(true);
    expect(isCancelled(new Error('cancelled'))).toBe(false);
  });

  it('explains a missing navigator.gpu, naming an insecure context when that is the cause', () => {
    expect(webGpuMissingReason({ isSecureContext: true, hasGpu: true })).toBeNull();
    expect(webGpuMissingReason({ isSecureContext: true, hasGpu: false })).toMatch(/navigator\.gpu/);
    expect(webGpuMissingReason({ isSecureContext: false, hasGpu: false })).toMatch(/secure context/);
  });
});

describe('what η means', () => {
  const curve = [stats(10, 0.2), stats(100, 0.8, { movedWhenChanged: 1.5 }), stats(1000, 1, { movedWhenChanged: null })];

  it('interpolates linearly in log η inside the grid and refuses to extrapolate', () => {
    expect(interpolateAtEta(curve, 10, (s) => s.pUnchanged.value)).toBe(0.2);
    expect(interpolateAtEta(curve, Math.sqrt(10 * 100), (s) => s.pUnchanged.value)).toBeCloseTo(0.5, 10);
    expect(interpolateAtEta(curve, 5, (s) => s.pUnchanged.value)).toBeNull();
    expect(interpolateAtEta(curve, 2000, (s) => s.pUnchanged.value)).toBeNull();
    expect(interpolateAtEta([], 10, (s) => s.pUnchanged.value)).toBeNull();
    // Points without a value (no changed token at that η) are skipped, not read as zero.
    expect(interpolateAtEta(curve, 1000, (s) => s.meanDistanceMovedWhenChanged)).toBeNull();
  });

  it('gives E‖z‖ = d/η, the per-direction spread √(d+1)/η and a neighbour-gap estimate', () => {
    const m = describeEta(100, 256, curve);
    expect(m.expectedNoiseRadius).toBe(2.56);
    expect(m.noisePerDirection).toBeCloseTo(Math.sqrt(257) / 100, 12);
    expect(m.typicalNeighbourDistance).toBe(1.5);
    expect(m.fromCurves?.pUnchanged).toBe(0.8);
    expect(describeEta(5, 256, curve).fromCurves).toBeNull();
    expect(describeEta(50, 256, []).typicalNeighbourDistance).toBeNull();
  });

  it('formats numbers and percentages for reading', () => {
    expect(formatNumber(12.8)).toBe('12.8');
    expect(formatNumber(0.80234)).toBe('0.802');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(null)).toBe('—');
    expect(formatNumber(1.5e-5)).toBe('1.50e-5');
    expect(formatPercent(0.4412, 0)).toBe('44 %');
    expect(formatPercent(undefined)).toBe('—');
  });
});

describe('curve data', () => {
  const run = [stats(100, 0.9, { bayes: 0.5 }), null, stats(10, 0.3, { movedWhenChanged: null })];

  it('skips η values still pending and sorts by η', () => {
    const points = attackCurves(run);
    expect(points.map((p) => p.eta)).toEqual([10, 10, 100, 100, 100]);
    expect(points.filter((p) => p.series === SERIES.bayes.name)).toHaveLength(1);
  });

  it('gives ±1 SE bounds clipped to [0, 1]', () => {
    const [p] = attackCurves([stats(5, 0.999)]);
    expect(p.high).toBe(1);
    expect(p.low).toBeCloseTo(0.999 - Math.sqrt((0.999 * 0.001) / 100), 12);
  });

  it('leaves out "moved when changed" where nothing changed and scales deniability by draws', () => {
    expect(distanceCurves(run).filter((p) => p.series === SERIES.movedWhenChanged.name).map((p) => p.eta)).toEqual([100]);
    const d = deniabilityCurves([stats(10, 0.5)]);
    expect(d.find((p) => p.series === SERIES.deniabilityN.name)?.value).toBe(0.5);
    expect(d.find((p) => p.series === SERIES.deniabilityS.name)?.value).toBeCloseTo(4.5 / 8, 12);
    expect(bayesRestriction(run)).toBe('K = 8 nearest');
    expect(bayesRestriction([stats(10, 0.5)])).toBeNull();
  });
});

describe('curve settings', () => {
  it('turns the default form into a request without the Bayes attack', () => {
    const r = validateCurveSettings(DEFAULT_CURVE_SETTINGS);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.etas).toHaveLength(12);
      expect(r.value.draws).toBe(8);
      expect(r.value.bayes).toBeUndefined();
    }
  });

  it('adds the Bayes settings when enabled and rejects out-of-range numbers', () => {
    const r = validateCurveSettings({ ...DEFAULT_CURVE_SETTINGS, bayesEnabled: true });
    expect(r.ok && r.value.bayes).toEqual({ candidates: 8, draws: 16, observations: 32 });
    expect(validateCurveSettings({ ...DEFAULT_CURVE_SETTINGS, draws: 0 }).ok).toBe(false);
    expect(validateCurveSettings({ ...DEFAULT_CURVE_SETTINGS, draws: null }).ok).toBe(false);
    expect(validateCurveSettings({ ...DEFAULT_CURVE_SETTINGS, bayesEnabled: true, bayesCandidates: 300 }).ok).toBe(false);
    expect(validateCurveSettings({ ...DEFAULT_CURVE_SETTINGS, source: 'corpus', sampleSize: 2.5 }).ok).toBe(false);
    // The sample size only matters for a corpus.
    expect(validateCurveSettings({ ...DEFAULT_CURVE_SETTINGS, source: 'text', sampleSize: null }).ok).toBe(true);
    const bad = validateCurveSettings({ ...DEFAULT_CURVE_SETTINGS, gridText: '1, x' });
    expect(!bad.ok && bad.error).toMatch(/^η grid: "x" is not a number/);
  });
});

describe('corpus files', () => {
  it('picks the format from the extension unless the user chose one', () => {
    expect(formatFor('reviews.tsv', null)).toBe('tsv');
    expect(formatFor('reviews.json', null)).toBeNull();
    expect(formatFor('reviews.json', 'jsonl')).toBe('jsonl');
  });

  it('guesses the text column and reports bad rows with their lines', () => {
    const table = parseTable('label,sentence\n1,good film\n0\n1,"bad, really"\n0,  \n', 'csv');
    const column = guessTextColumn(table.columns);
    expect(column).toBe('sentence');
    const file = selectCorpusTexts('x.csv', 'csv', table, column);
    expect(file.texts).toEqual(['good film', 'bad, really']);
    expect(file.badRows.map((b) => b.line)).toEqual([3, 5]);
    expect(describeBadRows(file.badRows)).toMatch(/^2 bad rows skipped \(line 3: expected 2 fields, found 1; line 5: empty "sentence"\)$/);
    expect(describeBadRows([])).toBe('no bad rows');
    expect(guessTextColumn(['id', 'body'])).toBe('body');
    expect(guessTextColumn(['a', 'b'])).toBe('a');
  });
});

describe('display helpers', () => {
  it('splits the word-start space and summarises changes', () => {
    expect(splitWordStart(' the')).toEqual({ wordStart: true, body: 'the' });
    expect(splitWordStart('ly')).toEqual({ wordStart: false, body: 'ly' });
    const tokens = [
      { changed: true, passThrough: false },
      { changed: false, passThrough: false },
      { changed: false, passThrough: true },
    ];
    expect(changedSummary(tokens)).toBe('1 of 3 tokens changed (1 passed through unprivatised)');
    expect(changedSummary([{ changed: false, passThrough: false }])).toBe('0 of 1 token changed');
  });

  it('makes safe export file names', () => {
    const date = new Date('2025-03-04T12:00:00Z');
    expect(exportFileName('P(unchanged) and attack success', 'svg', date)).toBe('rapt-lab-p-unchanged-and-attack-success-2025-03-04.svg');
    expect(exportFileName('../../etc/passwd', 'png', date)).toBe('rapt-lab-etc-passwd-2025-03-04.png');
    expect(exportFileName('η', 'png', date)).toBe('rapt-lab-plot-2025-03-04.png');
  });
});
