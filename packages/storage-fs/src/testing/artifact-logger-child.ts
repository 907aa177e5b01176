// One logger of the artifacts-on-disk test, in its own Node process (through tsx):
// `node --conditions=source --import tsx artifact-logger-child.ts <root> <logger> <rounds> [<large file>]`.
// It logs `rounds` values of its own and `rounds` values every logger shares, interleaved, then
// (when given) a large file while sampling its own memory, and prints one JSON report line.
import { createArtifactStore } from '@cairn/kernel';
import { createFsStorage } from '../index.js';

const [root, loggerText, roundsText, largeFile] = process.argv.slice(2);
if (root === undefined || loggerText === undefined || roundsText === undefined) {
  throw new Error('usage: artifact-logger-child.ts <root> <logger> <rounds> [<large file>]');
}
const logger = Number(loggerText);
const rounds = Number(roundsText);
const artifacts = createArtifactStore({ storage: createFsStorage({ root }) });

const logged: { value: unknown; version: number; created: boolean; digest: string }[] = [];
for (let round = 0; round < rounds; round += 1) {
  for (const value of [{ logger, round }, { shared: round }]) {
    const result = await artifacts.log({ name: 'dataset-shared', type: 'dataset', value });
    logged.push({ value, version: result.version, created: result.created, digest: result.digest });
  }
}

let large: { version: number; peakRssGrowth: number } | undefined;
if (largeFile !== undefined) {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const result = await artifacts.log({ name: 'model-large', type: 'model', file: largeFile });
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  large = { version: result.version, peakRssGrowth: peak - before };
}
process.stdout.write(`${JSON.stringify({ logger, logged, large })}\n`);
