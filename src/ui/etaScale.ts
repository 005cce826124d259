// The η control: a range slider on a log scale (η spans four decades, and what matters is the ratio
// between two values, not their difference) kept in sync with an exact number input.

/** The slider's range. The exact input accepts any η in (0, ETA_INPUT_MAX]; the slider clamps. */
export const ETA_SLIDER_MIN = 1;
export const ETA_SLIDER_MAX = 10_000;
export const ETA_INPUT_MAX = 1_000_000;
/** Integer positions of the range input; 1000 steps over 4 decades ≈ 0.9 % per step. */
export const SLIDER_STEPS = 1000;

const logMin = Math.log10(ETA_SLIDER_MIN);
const logSpan = Math.log10(ETA_SLIDER_MAX) - logMin;

/** Rounds to `digits` significant digits (η values read better as 3.75 than 3.7491…). */
export function roundSignificant(x: number, digits = 3): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const scale = 10 ** (digits - 1 - Math.floor(Math.log10(Math.abs(x))));
  return Math.round(x * scale) / scale;
}

/** η at a slider position, rounded to 3 significant digits. */
export function etaFromSlider(position: number): number {
  const p = Math.min(SLIDER_STEPS, Math.max(0, position));
  return roundSignificant(10 ** (logMin + (p / SLIDER_STEPS) * logSpan));
}

/** The slider position that shows η (clamped to the slider's range). */
export function sliderFromEta(eta: number): number {
  if (!(eta > 0)) return 0;
  const p = Math.round(((Math.log10(eta) - logMin) / logSpan) * SLIDER_STEPS);
  return Math.min(SLIDER_STEPS, Math.max(0, p));
}

/** η as a short string without float noise (1e-7 steps from the log mapping never show). */
export function formatEta(eta: number): string {
  if (!Number.isFinite(eta)) return String(eta);
  return String(roundSignificant(eta, 6));
}
