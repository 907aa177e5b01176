import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Benchmark } from './benchmark.js';
import { catalogBenchmark } from './benchmarks/catalog.js';
import { checkpointSaveLoadBenchmark } from './benchmarks/checkpoint-save-load.js';
import { checkpointStreamBenchmark } from './benchmarks/checkpoint-stream.js';
import { fsListBenchmark } from './benchmarks/fs-list.js';
import { llmArchiveRecordBenchmark } from './benchmarks/llm-archive-record.js';
import { memoryListPageBenchmark } from './benchmarks/memory-list-page.js';
import { mirroredBenchmark } from './benchmarks/mirrored.js';
import { resumePointBenchmark } from './benchmarks/resume-point.js';
import { s3StreamedPutBenchmark } from './benchmarks/s3-streamed-put.js';
import { smallPutBenchmark } from './benchmarks/small-put.js';
import { streamedGetBenchmark } from './benchmarks/streamed-get.js';
import { streamedPutBenchmark } from './benchmarks/streamed-put.js';
import { describeMachine } from './machine.js';
import { renderResult } from './markdown-report.js';

const benchmarks: readonly Benchmark[] = [
  smallPutBenchmark,
  streamedPutBenchmark,
  streamedGetBenchmark,
  fsListBenchmark,
  memoryListPageBenchmark,
  mirroredBenchmark,
  checkpointSaveLoadBenchmark,
  checkpointStreamBenchmark,
  resumePointBenchmark,
  catalogBenchmark,
  s3StreamedPutBenchmark,
  llmArchiveRecordBenchmark,
];

// Optional filter by name, e.g. `pnpm bench mirrored` while working on the mirror, or
// `pnpm bench p1` / `pnpm bench checkpoint` for the checkpoint benchmarks, `pnpm bench p5` for
// the resume point, `pnpm bench p3` for the catalog, `pnpm bench p6` (or `bench s3`) for storage-s3's streamed put, `pnpm bench p4` for the LLM archive.
const filter = process.argv[2]?.toLowerCase();
const selected = benchmarks.filter(
  (benchmark) => filter === undefined || benchmark.name.includes(filter),
);
if (selected.length === 0) {
  console.error(
    `No benchmark matches "${filter}". Names: ${benchmarks.map((each) => each.name).join(', ')}.`,
  );
  process.exit(2);
}

const started = performance.now();
const sections = ['## Machine', '', ...describeMachine(), ''];
if ((globalThis as { gc?: unknown }).gc === undefined) {
  sections.push('(Run without --expose-gc: memory growth includes garbage not yet collected.)', '');
}
for (const benchmark of selected) {
  // Progress goes to stderr so that stdout is the report alone.
  console.error(`[bench] ${benchmark.name}…`);
  const benchmarkStart = performance.now();
  const result = await benchmark.run();
  console.error(
    `[bench] ${benchmark.name} done in ${((performance.now() - benchmarkStart) / 1000).toFixed(1)} s`,
  );
  sections.push(renderResult(result), '');
}
sections.push(`Whole run: ${((performance.now() - started) / 1000).toFixed(0)} s.`);
const report = `${sections.join('\n')}\n`;
process.stdout.write(report);
// Nx drops blank lines from the output it relays, and markdown tables need them: the file
// keeps the report as it was written.
const reportFile = fileURLToPath(new URL('../last-run.md', import.meta.url));
await writeFile(reportFile, report);
console.error(`[bench] report written to ${reportFile}`);
