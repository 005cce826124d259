// The three η-curve plots, drawn with Observable Plot. Each returns Plot's element; PlotView mounts it with
// replaceChildren (never markup strings). The legend is drawn inside the SVG (in the top margin) so that
// "Download SVG/PNG" exports a self-contained figure.

import * as Plot from '@observablehq/plot';
import type { CurvePoint, SeriesStyle } from './etaCurveData';

export interface CurvePlotSpec {
  points: CurvePoint[];
  /** Series in legend order (all of them, even before their first point arrives). */
  series: SeriesStyle[];
  /** The requested grid's extent, fixed so the x axis does not jump while values fill in. */
  etaDomain: [number, number];
  yLabel: string;
  yDomain?: [number, number];
  /** Shown in the frame while there are no points (e.g. "waiting for the first η…"). */
  emptyMessage?: string;
  width?: number;
  height?: number;
}

export const LEGEND_ROW = 16;

export function legendMarks(series: SeriesStyle[], marginTop: number): Plot.Markish[] {
  // Right-aligned rows in the top margin, clear of the y-axis label on the left: label, then a line
  // swatch (with a dot for series drawn with error bars).
  return series.flatMap((s, i) => {
    const at = { frameAnchor: 'top-right' as const, dy: 10 + i * LEGEND_ROW - marginTop };
    return [
      Plot.text([s.name], { ...at, dx: -30, fontSize: 11, textAnchor: 'end' as const, text: (d: string) => d, fill: 'currentColor' }),
      Plot.text(['━━'], { ...at, dx: -24, fontSize: 11, textAnchor: 'start' as const, text: (d: string) => d, fill: s.color }),
      ...(s.errorBars ? [Plot.dot([s.name], { ...at, dx: -15, r: 3, fill: s.color })] : []),
    ];
  });
}

export function curvePlot(spec: CurvePlotSpec): (SVGSVGElement | HTMLElement) & Plot.Plot {
  const styleOf = new Map(spec.series.map((s) => [s.name, s]));
  const withBounds = spec.points.filter((p) => p.low !== undefined && p.high !== undefined);
  const bands = withBounds.filter((p) => !styleOf.get(p.series)?.errorBars);
  const bars = withBounds.filter((p) => styleOf.get(p.series)?.errorBars);
  const marginTop = 16 + LEGEND_ROW * spec.series.length;
  return Plot.plot({
    width: spec.width ?? 440,
    height: (spec.height ?? 260) + marginTop,
    marginTop,
    marginLeft: 48,
    marginRight: 16,
    style: { fontSize: '11px', background: 'white' },
    x: { type: 'log', domain: spec.etaDomain, label: 'η (log scale)', grid: true, tickFormat: '~s' },
    y: { label: spec.yLabel, grid: true, nice: true, ...(spec.yDomain ? { domain: spec.yDomain } : { zero: true }) },
    color: { domain: spec.series.map((s) => s.name), range: spec.series.map((s) => s.color) },
    marks: [
      Plot.areaY(bands, { x: 'eta', y1: 'low', y2: 'high', z: 'series', fill: 'series', fillOpacity: 0.15 }),
      Plot.ruleX(bars, { x: 'eta', y1: 'low', y2: 'high', stroke: 'series', strokeWidth: 1.5 }),
      Plot.lineY(spec.points, { x: 'eta', y: 'value', z: 'series', stroke: 'series', strokeWidth: 2 }),
      Plot.dot(spec.points, {
        x: 'eta',
        y: 'value',
        fill: 'series',
        r: 3,
        tip: true,
        channels: { series: 'series', '−1 SE': 'low', '+1 SE': 'high' },
      }),
      ...legendMarks(spec.series, marginTop),
      ...(spec.points.length === 0 && spec.emptyMessage
        ? [Plot.text([spec.emptyMessage], { frameAnchor: 'middle', text: (d: string) => d, fill: 'currentColor', fillOpacity: 0.6, fontSize: 12 })]
        : []),
    ],
  });
}
