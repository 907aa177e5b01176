import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFromConfig, loadConfig, runAsMain } from '@cairn/kernel';
import { createCallLog } from './call-log.js';
import { readExampleSettings } from './example-settings.js';
import { candidateId } from './generate-candidates.js';
import { createProgressPrinter } from './progress-printer.js';
import { createResearchPipeline, defaultResearchGrid } from './research-pipeline.js';
import { createSimulatedLlm } from './simulated-llm.js';

// The config sits in the package folder, one level above src/ and dist/.
const projectDirectory = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Everything goes to stdout, in order: CI keeps stdout and looks for the `Report: ` line.
const print = (line: string) => {
  process.stdout.write(`${line}\n`);
};

async function main(): Promise<void> {
  const settings = readExampleSettings(process.env);
  const loaded = await loadConfig({ projectDirectory });
  const plugins = await createFromConfig(loaded, { projectDirectory });
  try {
    const storageRoot =
      (loaded.config.storage.options as { root?: string } | undefined)?.root ?? '.cairn/primary';
    // The primary and backup copies are folders of the data folder; reports go beside them.
    const dataDirectory = resolve(projectDirectory, storageRoot, '..');
    const grid = defaultResearchGrid;
    print(
      `Cairn example pipeline "research": ${settings.itemCount} candidate answers over ${grid.topic.length} topics × ${grid.temperature.length} temperatures from a simulated model (${settings.latencyMs} ms a call); data in ${dataDirectory}`,
    );
    const model = createSimulatedLlm({
      seed: 2026,
      latencyMs: settings.latencyMs,
      transientFailureRate: 0.15,
      // One bad item that no retry fixes: it is recorded as failed and the batch goes on.
      refusedIds: new Set([candidateId(13)]),
      ...(settings.callLog === undefined ? {} : { onCall: createCallLog(settings.callLog) }),
    });
    const pipeline = createResearchPipeline({
      model,
      itemCount: settings.itemCount,
      reportsDirectory: join(dataDirectory, 'reports'),
      grid,
    });
    const result = await runAsMain(pipeline, {
      storage: plugins.storage,
      projectDirectory,
      concurrency: 4,
      ...(loaded.config.retry === undefined ? {} : { retry: loaded.config.retry }),
      print,
      onEntry: createProgressPrinter(print),
    });
    if (result?.state !== 'COMPLETED') return;
    const metrics = result.outputs.synthesise?.metrics;
    if (metrics !== undefined) {
      print(
        `Synthesis: ${metrics.generated} of ${metrics.requested} candidates generated, ${metrics.duplicatesRemoved} duplicates removed, ${metrics.scored} scored, ${metrics.failed} failed; mean score ${metrics.meanScore.toFixed(3)}, best ${metrics.bestScore.toFixed(3)}.`,
      );
    }
    print(`Report: ${result.outputs.report}`);
  } finally {
    await plugins.close();
  }
}

try {
  await main();
} catch (error) {
  // Settings or config that cannot be used: the message says what to change.
  print(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
