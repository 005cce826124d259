import { describe, expect, it } from 'vitest';
import { ETA_SLIDER_MAX, ETA_SLIDER_MIN, SLIDER_STEPS, etaFromSlider, formatEta, roundSignificant, sliderFromEta } from '../../src/ui/etaScale';
import { DEFAULT_ETA_GRID, MAX_GRID_SIZE, formatEtaGrid, logSpaced, parseEtaGrid } from '../../src/ui/etaGrid';
import { parseEta, parseInteger, parseNumber, parseSeed } from '../../src/ui/inputs';

describe('log-scale η slider', () => {
  it('maps the ends of the slider to the ends of the η range', () => {
    expect(etaFromSlider(0)).toBe(ETA_SLIDER_MIN);
    expect(etaFromSlider(SLIDER_STEPS)).toBe(ETA_SLIDER_MAX);
    expect(etaFromSlider(SLIDER_STEPS / 2)).toBe(100);
    expect(etaFromSlider(SLIDER_STEPS / 4)).toBe(10);
  });

  it('is logarithmic: equal slider steps are equal ratios of η', () => {
    const a = etaFromSlider(100) / etaFromSlider(0);
    const b = etaFromSlider(600) / etaFromSlider(500);
    expect(a).toBeCloseTo(b, 1);
  });

  it('round-trips slider positions and clamps out-of-range η', () => {
    for (let p = 0; p <= SLIDER_STEPS; p += 37) expect(sliderFromEta(etaFromSlider(p))).toBe(p);
    expect(sliderFromEta(0.01)).toBe(0);
    expect(sliderFromEta(1e6)).toBe(SLIDER_STEPS);
    expect(sliderFromEta(-3)).toBe(0);
    expect(sliderFromEta(Number.NaN)).toBe(0);
    expect(etaFromSlider(-5)).toBe(ETA_SLIDER_MIN);
    expect(etaFromSlider(SLIDER_STEPS + 5)).toBe(ETA_SLIDER_MAX);
  });

  it('rounds to 3 significant digits and formats without float noise', () => {
    expect(roundSignificant(3.74913)).toBe(3.75);
    expect(roundSignificant(1234.5)).toBe(1230);
    expect(roundSignificant(0.0123456)).toBe(0.0123);
    expect(formatEta(0.1 + 0.2)).toBe('0.3');
    expect(formatEta(10_000)).toBe('10000');
  });
});

describe('typed settings', () => {
  it('parses plain decimal numbers only', () => {
    expect(parseNumber(' 12.5 ')).toBe(12.5);
    expect(parseNumber('1e3')).toBe(1000);
    expect(parseNumber('.5')).toBe(0.5);
    for (const bad of ['', ' ', '0x10', 'Infinity', 'NaN', '1,5', '12abc', '--1', '1e999']) expect(parseNumber(bad)).toBeNull();
  });

  it('accepts positive η and explains every rejection', () => {
    expect(parseEta('10000')).toEqual({ ok: true, value: 10_000 });
    expect(parseEta('0.5')).toEqual({ ok: true, value: 0.5 });
    for (const bad of ['0', '-3', 'abc', '', '1e7']) {
      const r = parseEta(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/η/);
    }
  });

  it('accepts whole, non-negative seeds', () => {
    expect(parseSeed('0')).toEqual({ ok: true, value: 0 });
    expect(parseSeed('4294967295')).toEqual({ ok: true, value: 4294967295 });
    for (const bad of ['-1', '1.5', '', 'x', '99999999999999999999']) expect(parseSeed(bad).ok).toBe(false);
    expect(parseInteger('7', 'draws', 1, 5)).toEqual({ ok: false, error: 'draws must be between 1 and 5' });
  });
});

describe('η grid', () => {
  it('defaults to 12 log-spaced values from 2 to 2000', () => {
    expect(DEFAULT_ETA_GRID).toHaveLength(12);
    expect(DEFAULT_ETA_GRID[0]).toBe(2);
    expect(DEFAULT_ETA_GRID[11]).toBe(2000);
    const ratios = DEFAULT_ETA_GRID.slice(1).map((x, i) => x / DEFAULT_ETA_GRID[i]);
    for (const r of ratios) expect(r).toBeCloseTo(1000 ** (1 / 11), 1);
    expect(() => logSpaced(5, 1, 3)).toThrow(RangeError);
  });

  it('parses a comma list into ascending values and round-trips its own format', () => {
    expect(parseEtaGrid('100, 3,20')).toEqual({ ok: true, value: [3, 20, 100] });
    expect(parseEtaGrid(' 1e2 ')).toEqual({ ok: true, value: [100] });
    expect(parseEtaGrid(formatEtaGrid(DEFAULT_ETA_GRID))).toEqual({ ok: true, value: DEFAULT_ETA_GRID });
  });

  it('rejects bad input with a message that points at the problem', () => {
    const cases: [string, RegExp][] = [
      ['', /at least one/],
      ['2,,5', /value 2 is empty/],
      ['2, 5,', /value 3 is empty/],
      ['2, five', /"five" is not a number/],
      ['2, 0', /positive/],
      ['2, -4', /not a number|positive/],
      ['2, 2', /same η twice/],
      ['2; 5', /not a number/],
      [Array.from({ length: MAX_GRID_SIZE + 1 }, (_, i) => i + 1).join(','), /at most 64/],
    ];
    for (const [text, message] of cases) {
      const r = parseEtaGrid(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) expect(r.error).toMatch(message);
    }
  });
});
