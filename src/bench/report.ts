// Plain-text rendering of benchmark results for stdout (scripts/bench.ts). Pure functions, no IO.

import type { BenchResults } from './types';

export function formatNumber(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '—';
  if (x >= 100) return Math.round(x).toLocaleString('en-US');
  if (x >= 10) return x.toFixed(1);
  if (x >= 0.1) return x.toFixed(2);
  return x.toPrecision(2);
}

/** A pipe table with padded columns (reads as Markdown too). */
export function formatTable(header: string[], body: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export function formatResults(r: BenchResults): string {
  const a = r.adapter;
  const head = [
    `RAPT Lab benchmark${r.plan.quick ? ' (--quick)' : ''} — ${r.startedAt}, ${r.seconds.toFixed(0)} s, app ${r.appVersion}`,
    `adapter: vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}, isFallbackAdapter ${a.isFallbackAdapter}` +
      `${a.description ? `, "${a.description}"` : ''}; timestamp-query ${r.timestampQuery ? 'yes' : 'no'}`,
    `browser: ${r.browserVersion ?? '?'} (${r.userAgent})`,
    ...(r.host
      ? [`host: ${r.host.cpus} × ${r.host.cpuModel}; load average (1/5/15 min) ${r.host.loadAverageStart.map((x) => x.toFixed(2)).join('/')} at start, ` +
          `${r.host.loadAverageEnd.map((x) => x.toFixed(2)).join('/')} at end, 1-min peak ${Math.max(...r.host.loadSamples.map((x) => x[1])).toFixed(2)} ` +
          `(a software adapter shares these CPUs with every other process; see host.loadSamples)`]
      : []),
    `tables: ${r.tables.map((t) => `${t.name} ${t.vocabSize}×${t.dim} (${t.candidates} candidates, η=${t.eta})`).join('; ')}`,
    `GFLOP/s counts only distance work, 3 FLOPs (sub, mul, add) per element per (token, table row) pair; ` +
      `end-to-end and CPU rows divide it by the call's (resp. distance phase's) time. CPU rows: ${r.referenceThread}.`,
  ];
  const table = formatTable(
    ['implementation', 'table', 'batch', 'tokens/s', 'GFLOP/s', 'notes'],
    r.rows.map((row) => [row.implementation, row.table, String(row.batch), formatNumber(row.tokensPerSecond), formatNumber(row.gflops), row.notes]),
  );
  return `${head.join('\n')}\n\n${table}\n`;
}
