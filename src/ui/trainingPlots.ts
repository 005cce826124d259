// The training runs' plots, drawn with Observable Plot like the η curves (etaPlots.ts): learning curves over
// optimiser steps (loss, accuracy), and accuracy over η with one line per condition — the privatised
// conditions as lines with error bars, the clean ones (which ignore η) as horizontal reference lines with a
// band. Legends are drawn inside the SVG so "Download SVG/PNG" exports a self-contained figure; PlotView
// mounts the element (never markup).

import * as Plot from '@observablehq/plot';
import type { SeriesStyle } from './etaCurveData';
import { LEGEND_ROW, legendMarks } from './etaPlots';
import type { StepPoint } from './trainingData';

const emptyText = (message: string) => Plot.text([message], { frameAnchor: 'middle', text: (d: string) => d, fill: 'currentColor', fillOpacity: 0.6, fontSize: 12 });

export interface StepPlotSpec {
  points: StepPoint[];
  /** Series in legend order (all of them, even before their first point arrives). */
  series: SeriesStyle[];
  yLabel: string;
  yDomain?: [number, number];
  /** Fixed x extent (0 … total steps) so the axis does not jump while the curve grows. */
  stepDomain?: [number, number];
  emptyMessage: string;
  /** Draw dots at the points (sparse series such as evaluations). */
  dots?: boolean;
  /** Log y axis: losses of different sizes (task vs reconstruction over |T| tokens) on one plot. */
  logY?: boolean;
}

export function stepCurvePlot(spec: StepPlotSpec): Element {
  const marginTop = 16 + LEGEND_ROW * Math.max(1, spec.series.length);
  const steps = spec.points.map((p) => p.step);
  const domain: [number, number] = spec.stepDomain ?? [0, Math.max(1, ...steps)];
  return Plot.plot({
    width: 460,
    height: 240 + marginTop,
    marginTop,
    marginLeft: 52,
    marginRight: 16,
    style: { fontSize: '11px', background: 'white' },
    x: { domain, label: 'optimiser step', grid: true },
    y: spec.logY ? { type: 'log', label: `${spec.yLabel} (log scale)`, grid: true, nice: true, tickFormat: '~g' } : { label: spec.yLabel, grid: true, nice: true, ...(spec.yDomain ? { domain: spec.yDomain } : { zero: true }) },
    color: { domain: spec.series.map((s) => s.name), range: spec.series.map((s) => s.color) },
    marks: [
      Plot.lineY(spec.points, { x: 'step', y: 'value', z: 'series', stroke: 'series', strokeWidth: 1.8 }),
      Plot.dot(spec.points, {
        x: 'step',
        y: 'value',
        fill: 'series',
        r: spec.dots ? 3 : 1.5,
        tip: true,
        channels: { series: 'series', step: 'step' },
      }),
      ...legendMarks(spec.series, marginTop),
      ...(spec.points.length === 0 ? [emptyText(spec.emptyMessage)] : []),
    ],
  });
}

export interface AccuracyEtaPlotSpec {
  points: { series: string; eta: number; mean: number; low: number; high: number; n: number }[];
  /** Conditions without η (clean text): a horizontal line at the mean with a band from low to high. */
  references: { series: string; mean: number; low: number; high: number; n: number }[];
  series: SeriesStyle[];
  etaDomain: [number, number];
  yLabel: string;
  emptyMessage: string;
}

export function accuracyEtaPlot(spec: AccuracyEtaPlotSpec): Element {
  const marginTop = 16 + LEGEND_ROW * Math.max(1, spec.series.length);
  const [x1, x2] = spec.etaDomain;
  return Plot.plot({
    width: 460,
    height: 260 + marginTop,
    marginTop,
    marginLeft: 52,
    marginRight: 16,
    style: { fontSize: '11px', background: 'white' },
    x: { type: 'log', domain: spec.etaDomain, label: 'η (log scale)', grid: true, tickFormat: '~s' },
    y: { label: spec.yLabel, grid: true, domain: [0, 1] },
    color: { domain: spec.series.map((s) => s.name), range: spec.series.map((s) => s.color) },
    marks: [
      Plot.rect(spec.references, { x1: () => x1, x2: () => x2, y1: 'low', y2: 'high', fill: 'series', fillOpacity: 0.1 }),
      Plot.ruleY(spec.references, { y: 'mean', stroke: 'series', strokeWidth: 2, strokeDasharray: '6,4' }),
      Plot.ruleX(spec.points, { x: 'eta', y1: 'low', y2: 'high', stroke: 'series', strokeWidth: 1.5 }),
      Plot.lineY(spec.points, { x: 'eta', y: 'mean', z: 'series', stroke: 'series', strokeWidth: 2 }),
      Plot.dot(spec.points, { x: 'eta', y: 'mean', fill: 'series', r: 3.5, tip: true, channels: { condition: 'series', seeds: 'n', low: 'low', high: 'high' } }),
      ...legendMarks(spec.series, marginTop),
      ...(spec.points.length === 0 && spec.references.length === 0 ? [emptyText(spec.emptyMessage)] : []),
    ],
  });
}
