// Plain-text rendering of benchmark results for stdout (scripts/bench.ts). Pure functions, no IO.

import type { BenchResults, BenchRow } from './types';

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

const median = (row: BenchRow) => (row.timing ? formatNumber(row.timing.medianMs) : '—');

/**
 * The host's 1-minute load average while the row's timed samples ran: the smallest and largest value
 * sampled from each sample's start to 5 s past its end. On the 2-core machine the benchmark alone keeps it
 * near 2; more means other processes were competing for the software adapter's CPUs.
 */
export function loadDuring(row: BenchRow, r: BenchResults): string {
  const samples = r.host?.loadSamples;
  const starts = row.sampleStartedAt;
  if (!samples?.length || !starts?.length || !row.timing) return '—';
  const seen: number[] = [];
  starts.forEach((start, i) => {
    const from = Date.parse(start);
    const to = from + (row.timing!.samplesMs[i] ?? 0) + 5000;
    for (const [at, load] of samples) {
      const t = Date.parse(at);
      if (t >= from && t <= to) seen.push(load);
    }
  });
  if (!seen.length) return '—';
  const lo = Math.min(...seen);
  const hi = Math.max(...seen);
  return hi - lo < 0.05 ? lo.toFixed(1) : `${lo.toFixed(1)}–${hi.toFixed(1)}`;
}

function privatizeSection(r: BenchResults, rows: BenchRow[]): string {
  const head = [
    `## privatize`,
    `tables: ${r.tables.map((t) => `${t.name} ${t.vocabSize}×${t.dim} (${t.candidates} candidates, η=${t.eta})`).join('; ')}`,
    `GFLOP/s counts only distance work, 3 FLOPs (sub, mul, add) per element per (token, table row) pair; ` +
      `end-to-end and CPU rows divide it by the call's (resp. distance phase's) time. CPU rows: ${r.referenceThread}.`,
  ];
  const table = formatTable(
    ['implementation', 'table', 'batch', 'tokens/s', 'GFLOP/s', 'notes'],
    rows.map((row) => [row.implementation, row.table, String(row.batch), formatNumber(row.tokensPerSecond), formatNumber(row.gflops), row.notes]),
  );
  return `${head.join('\n')}\n\n${table}`;
}

function matmulSection(r: BenchResults, rows: BenchRow[]): string {
  const head = [
    `## matmul (f32, C = A·B, row-major; same inputs for all; GFLOP/s = 2mnk / median wall ms per call, submit → GPU done, no readback)`,
    `load: the host's 1-min load average during the timed calls (the benchmark alone keeps it near the core count)`,
  ];
  const table = formatTable(
    ['implementation', 'm×k·k×n', 'median ms', 'GFLOP/s', 'load', 'notes'],
    rows.map((row) => [row.implementation, row.shape ?? row.table, median(row), formatNumber(row.gflops), loadDuring(row, r), row.notes]),
  );
  return `${head.join('\n')}\n\n${table}`;
}

function forwardSection(r: BenchResults, rows: BenchRow[]): string {
  const head = [
    `## forward (one call = ids in, outputs read back; batch × length = sentences × tokens, no padding)`,
    ...r.models.map((m) => `${m.name}: ${m.source}; ${(m.parameters / 1e6).toFixed(1)} M parameters`),
    `GFLOP/s: ${r.models[0]?.flops ?? ''}`,
    `load: the host's 1-min load average during the timed calls (the benchmark alone keeps it near the core count)`,
  ];
  const table = formatTable(
    ['model', 'implementation', 'batch×length', 'median ms', 'tokens/s', 'GFLOP/s', 'load', 'notes'],
    rows.map((row) => [
      row.table,
      row.implementation,
      row.shape ?? String(row.batch),
      median(row),
      formatNumber(row.tokensPerSecond),
      formatNumber(row.gflops),
      loadDuring(row, r),
      row.notes,
    ]),
  );
  return `${head.join('\n')}\n\n${table}`;
}

/** A loss with 6 decimals, or — (no value, e.g. loss_rec without a reconstruction head). */
const lossCell = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(6));

/** A relative difference as 1.2e-7, 0 as 0, none as —. */
export const relCell = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : x === 0 ? '0' : x.toExponential(1));

function trainSection(r: BenchResults, rows: BenchRow[]): string {
  const t = r.train;
  const head = [
    `## train (one step = forward through the frozen encoder, backward to the soft prompt and heads, global-norm clip, AdamW; ` +
      `batch×S = examples × padded rows: N prompt + m plain + text + padding)`,
    ...(t
      ? [
          `model: ${t.model}`,
          `cases: ${t.cases.map((c) => `${c.name}: N=${c.promptTokens}, m=${c.plainTokens}${c.plainTokens ? `, T=${c.reconVocab}, c=${c.reconRank}, λ=${c.lambda}` : ''}, ${c.classes} classes`).join('; ')}`,
          `init: ${t.init}; AdamW ${Object.entries(t.optimizer).map(([k, v]) => `${k} ${v}`).join(', ')}`,
          `timing: ${t.timing}`,
          `GFLOP/s: ${t.flops} (forward-only row: forward FLOPs only)`,
          ...(t.adjustments ?? []).map((x) => `adjustment: ${x}`),
        ]
      : []),
    `losses: the first step's mean task and reconstruction cross-entropy (batch 0, identical initial parameters); ` +
      `max rel Δ vs ours = max over (task, rec) of |loss − ours| / |ours|`,
    `load: the host's 1-min load average during the timed steps (the benchmark alone keeps it near the core count)`,
  ];
  const examplesPerSecond = (row: BenchRow) => (row.timing ? formatNumber((row.batch * 1000) / row.timing.medianMs) : '—');
  const table = formatTable(
    ['case', 'implementation', 'median ms', 'examples/s', 'GFLOP/s', 'loss task', 'loss rec', 'max rel Δ vs ours', 'load', 'notes'],
    rows.map((row) => [
      `${row.table}`,
      row.implementation,
      median(row),
      examplesPerSecond(row),
      formatNumber(row.gflops),
      lossCell(row.firstStep?.lossTask),
      lossCell(row.firstStep?.lossRec),
      relCell(row.firstStep?.maxRelDiffVsOurs),
      loadDuring(row, r),
      row.notes,
    ]),
  );
  return `${head.join('\n')}\n\n${table}`;
}

export function formatResults(r: BenchResults): string {
  const a = r.adapter;
  const peers = r.peers ?? { loaded: {}, adjustments: [], failures: {} };
  const versions = peers.versions ? Object.entries(peers.versions).map(([name, v]) => `${name} ${v}`).join(', ') : '';
  const head = [
    `RAPT Lab benchmark${r.plan.quick ? ' (--quick)' : ''} — ${r.startedAt}, ${r.seconds.toFixed(0)} s, app ${r.appVersion}; sections: ${(r.sections ?? ['privatize']).join(', ')}`,
    `adapter: vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}, isFallbackAdapter ${a.isFallbackAdapter}` +
      `${a.description ? `, "${a.description}"` : ''}; timestamp-query ${r.timestampQuery ? 'yes' : 'no'}`,
    `browser: ${r.browserVersion ?? '?'} (${r.userAgent})`,
    ...(r.host
      ? [`host: ${r.host.cpus} × ${r.host.cpuModel}; load average (1/5/15 min) ${r.host.loadAverageStart.map((x) => x.toFixed(2)).join('/')} at start, ` +
          `${r.host.loadAverageEnd.map((x) => x.toFixed(2)).join('/')} at end, 1-min peak ${Math.max(...r.host.loadSamples.map((x) => x[1])).toFixed(2)} ` +
          `(a software adapter shares these CPUs with every other process; see host.loadSamples)`]
      : []),
    ...(versions || Object.keys(peers.loaded).length
      ? [`peers: ${versions || '?'}; loaded in the page: ${Object.values(peers.loaded).join('; ') || 'none'}`]
      : []),
    ...peers.adjustments.map((x) => `peer adjustment: ${x}`),
    ...Object.entries(peers.failures).map(([name, e]) => `peer FAILED to open: ${name}: ${e}`),
  ];
  const bySection = (s: string) => r.rows.filter((row) => (row.section ?? 'privatize') === s);
  const parts: string[] = [];
  if (bySection('privatize').length) parts.push(privatizeSection(r, bySection('privatize')));
  if (bySection('matmul').length) parts.push(matmulSection(r, bySection('matmul')));
  if (bySection('forward').length) parts.push(forwardSection(r, bySection('forward')));
  if (bySection('train').length) parts.push(trainSection(r, bySection('train')));
  return `${head.join('\n')}\n\n${parts.join('\n\n')}\n`;
}
