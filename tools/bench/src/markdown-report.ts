import type { BenchmarkResult, ResultRow } from './benchmark.js';

/** Rounds to a precision that suits the magnitude: 1234, 123, 12.3, 1.23, 0.123. */
export function formatNumber(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

function formatRatio(row: ResultRow): string {
  if (row.limit === undefined || row.limit.median === 0) return 'n/a';
  return `${(row.cairn.median / row.limit.median).toFixed(2)}×`;
}

/** A benchmark's result as a markdown section: heading, description and table. */
export function renderResult(result: BenchmarkResult): string {
  const lines = [
    `### ${result.title}`,
    '',
    result.description,
    `${result.rounds} recorded rounds per side after ${result.warmupRounds} warm-up, Cairn and the limit taking turns. Ratio = Cairn median ÷ limit median.`,
    '',
    '| measure | Cairn median | Cairn p95 | limit median | limit p95 | ratio |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of result.rows) {
    lines.push(
      `| ${row.measure} | ${formatNumber(row.cairn.median)} | ${formatNumber(row.cairn.p95)} | ${row.limit === undefined ? '—' : formatNumber(row.limit.median)} | ${row.limit === undefined ? '—' : formatNumber(row.limit.p95)} | ${formatRatio(row)} |`,
    );
  }
  return lines.join('\n');
}
