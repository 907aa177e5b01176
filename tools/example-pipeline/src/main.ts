import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFromConfig, createRetryPolicy, loadConfig } from '@cairn/kernel';
import { type PipelineEvent, runExamplePipeline } from './run-example-pipeline.js';
import { createSimulatedScorer } from './simulated-scorer.js';

// The config sits in the package folder, one level above src/ and dist/.
const projectDirectory = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const itemCount = Number(process.env.CAIRN_EXAMPLE_ITEMS ?? 40);
const latencyMs = Number(process.env.CAIRN_EXAMPLE_LATENCY_MS ?? 120);

const loaded = await loadConfig({ projectDirectory });
const plugins = await createFromConfig(loaded, { projectDirectory });
const controller = new AbortController();
let interruptions = 0;
for (const signalName of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signalName, () => {
    interruptions += 1;
    // A second Ctrl+C means "now": the stored work is safe either way.
    if (interruptions > 1) process.exit(signalName === 'SIGINT' ? 130 : 143);
    console.log(`\n${signalName}: stopping; finished items are kept. Run again to resume.`);
    controller.abort(new Error(signalName));
  });
}

const interactive = process.stdout.isTTY === true;
function bar(done: number, total: number): string {
  const width = 24;
  const filled = Math.round((done / Math.max(1, total)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}
let lastProgress = '';
function print(event: PipelineEvent): void {
  switch (event.type) {
    case 'step-resumed':
      console.log(`↺ ${event.step}: resumed, ${event.reason}`);
      break;
    case 'step-started':
      console.log(`▶ ${event.step}: ${event.total - event.done} to do`);
      break;
    case 'item-done':
      lastProgress = bar(event.done, event.total);
      if (interactive) process.stdout.write(`\r  ${bar(event.done, event.total)} ${event.id}   `);
      else if (event.done % 10 === 0 || event.done === event.total)
        console.log(`  ${bar(event.done, event.total)}`);
      break;
    case 'retry-scheduled':
      if (interactive) process.stdout.write('\n');
      console.log(
        `  ⟳ ${event.id} attempt ${event.attempt} failed (${event.message}); retrying in ${event.delayMs} ms`,
      );
      break;
    case 'item-failed':
      if (interactive) process.stdout.write('\n');
      console.log(`  ✗ ${event.id} failed and was recorded: ${event.message}`);
      break;
    case 'step-completed':
      if (interactive) process.stdout.write('\n');
      else if (lastProgress !== '') console.log(`  ${lastProgress}`);
      lastProgress = '';
      console.log(`✔ ${event.step}`);
      break;
  }
}

const root = (loaded.config.storage.options as { root?: string } | undefined)?.root ?? '.cairn';
console.log(
  `Cairn example pipeline: ${itemCount} candidates, storage in ${resolve(projectDirectory, root, '..')}`,
);
try {
  const result = await runExamplePipeline({
    storage: plugins.storage,
    scorer: createSimulatedScorer({
      seed: Date.now(),
      transientFailureRate: 0.15,
      brokenIds: new Set(['candidate-0013']),
      latencyMs,
    }),
    itemCount,
    concurrency: 4,
    retryPolicy: createRetryPolicy(loaded.config.retry ?? {}),
    signal: controller.signal,
    onEvent: print,
  });
  if (result.status === 'interrupted') {
    console.log(
      `Interrupted with ${result.scored}/${result.total} scored. Run the same command again to resume.`,
    );
    process.exitCode = 130;
  } else {
    const { report } = result;
    console.log(
      `Report: ${report.scored} scored, mean ${report.meanScore.toFixed(3)}, ${report.failed.length} failed`,
    );
    for (const entry of report.best) console.log(`  ${entry.id}  ${entry.score.toFixed(3)}`);
    console.log(
      report.failed.length === 0
        ? 'Run it again: every step is found stored and nothing is recomputed.'
        : 'Run it again: stored steps are loaded, and only the failed items are tried again.',
    );
  }
} finally {
  await plugins.close();
}
