// The workspace's plots, drawn with Observable Plot like the explorer's (etaPlots.ts): a metric over η with
// one line per condition and error bars over seeds, and the trade-off itself — utility against attack
// success, one point per η, with error bars on both axes. Legends are drawn inside the SVG so that
// "Download SVG/PNG" exports a self-contained figure.

import * as Plot from '@observablehq/plot';
import type { SeriesStyle } from './etaCurveData';
import { LEGEND_ROW, legendMarks } from './etaPlots';
import type { TradeoffPair, TradeoffPoint } from './tradeoffData';

/** Observable Plot's observable10 palette, in order. */
export const PALETTE = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e', '#9498a0'];

export function seriesStyles(names: readonly string[]): SeriesStyle[] {
  return names.map((name, i) => ({ name, color: PALETTE[i % PALETTE.length], errorBars: true }));
}

const emptyText = (message: string) => Plot.text([message], { frameAnchor: 'middle', text: (d: string) => d, fill: 'currentColor', fillOpacity: 0.6, fontSize: 12 });

export function metricOverEtaPlot(spec: { points: TradeoffPoint[]; yLabel: string; yDomain?: [number, number]; emptyMessage: string }): Element {
  const groups = [...new Set(spec.points.map((p) => p.group))];
  const series = seriesStyles(groups);
  const marginTop = 16 + LEGEND_ROW * Math.max(1, series.length);
  const etas = spec.points.map((p) => p.eta);
  const domain: [number, number] = etas.length ? [Math.min(...etas) / 1.3, Math.max(...etas) * 1.3] : [1, 1000];
  return Plot.plot({
    width: 460,
    height: 260 + marginTop,
    marginTop,
    marginLeft: 52,
    marginRight: 16,
    style: { fontSize: '11px', background: 'white' },
    x: { type: 'log', domain, label: 'η (log scale)', grid: true, tickFormat: '~s' },
    y: { label: spec.yLabel, grid: true, nice: true, ...(spec.yDomain ? { domain: spec.yDomain } : { zero: true }) },
    color: { domain: groups, range: series.map((s) => s.color) },
    marks: [
      Plot.ruleX(spec.points, { x: 'eta', y1: 'low', y2: 'high', stroke: 'group', strokeWidth: 1.5 }),
      Plot.lineY(spec.points, { x: 'eta', y: 'mean', z: 'group', stroke: 'group', strokeWidth: 2 }),
      Plot.dot(spec.points, { x: 'eta', y: 'mean', fill: 'group', r: 3.5, tip: true, channels: { condition: 'group', seeds: 'n', '−1 SE': 'low', '+1 SE': 'high' } }),
      ...legendMarks(series, marginTop),
      ...(spec.points.length === 0 ? [emptyText(spec.emptyMessage)] : []),
    ],
  });
}

export function tradeoffPairPlot(spec: { pairs: TradeoffPair[]; xLabel: string; yLabel: string; emptyMessage: string }): Element {
  const groups = [...new Set(spec.pairs.map((p) => p.group))];
  const series = seriesStyles(groups);
  const marginTop = 16 + LEGEND_ROW * Math.max(1, series.length);
  const rows = spec.pairs.map((p) => ({ group: p.group, eta: p.eta, x: p.x.mean, xLow: p.x.low, xHigh: p.x.high, y: p.y.mean, yLow: p.y.low, yHigh: p.y.high, label: `η=${p.eta}` }));
  return Plot.plot({
    width: 460,
    height: 300 + marginTop,
    marginTop,
    marginLeft: 52,
    marginRight: 24,
    style: { fontSize: '11px', background: 'white' },
    x: { label: spec.xLabel, grid: true, nice: true, zero: true },
    y: { label: spec.yLabel, grid: true, nice: true, zero: true },
    color: { domain: groups, range: series.map((s) => s.color) },
    marks: [
      Plot.ruleX(rows, { x: 'x', y1: 'yLow', y2: 'yHigh', stroke: 'group', strokeOpacity: 0.7 }),
      Plot.ruleY(rows, { y: 'y', x1: 'xLow', x2: 'xHigh', stroke: 'group', strokeOpacity: 0.7 }),
      Plot.line(rows, { x: 'x', y: 'y', z: 'group', stroke: 'group', strokeDasharray: '3,3' }),
      Plot.dot(rows, { x: 'x', y: 'y', fill: 'group', r: 4, tip: true, channels: { condition: 'group', η: 'eta' } }),
      Plot.text(rows, { x: 'x', y: 'y', text: 'label', dx: 6, dy: -6, textAnchor: 'start', fontSize: 10, fill: 'currentColor' }),
      ...legendMarks(series, marginTop),
      ...(rows.length === 0 ? [emptyText(spec.emptyMessage)] : []),
    ],
  });
}
