// Run by benchmark P3, one fresh plain Node process (no tsx) per round, on the built packages:
// lists a catalog of checkpoints one of three ways and prints one JSON line: how long it took
// (start-up and imports excluded), the process's peak RSS (maxRSS) and how many entries it
// found.
//
// Arguments: mode (cairn | naive | raw), storage root.
//   cairn: createCatalog({ storage: createFsStorage({ root }) }).checkpoints() to the end.
//   naive: a catalog that opens every payload: readdir of each step, then each payload read
//          whole with node:fs and its first line parsed as JSON (where such a catalog finds
//          the metrics).
//   raw:   the floor of any catalog that reads each sidecar: readdir, then readFile of every
//          sidecar with node:fs (32 at a time), nothing parsed.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCatalog } from '@cairn/kernel';
import { createFsStorage } from '@cairn/storage-fs';

const [mode, root] = process.argv.slice(2);
if (mode === undefined || root === undefined) {
  throw new Error('usage: catalog-child.mjs <cairn|naive|raw> <storage root>');
}

async function folders() {
  const paths = [];
  const checkpoints = join(root, 'checkpoints');
  for (const step of await readdir(checkpoints)) {
    for (const id of await readdir(join(checkpoints, step)))
      paths.push(join(checkpoints, step, id));
  }
  return paths;
}

async function eachConcurrently(items, action) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await action(items[next++]);
  };
  await Promise.all(Array.from({ length: 32 }, lane));
}

const start = performance.now();
let entries = 0;
if (mode === 'cairn') {
  const storage = createFsStorage({ root });
  for await (const entry of createCatalog({ storage }).checkpoints()) {
    if (entry.metrics.hmean !== undefined) entries += 1;
  }
  await storage.close?.();
} else if (mode === 'naive') {
  await eachConcurrently(await folders(), async (folder) => {
    const bytes = await readFile(join(folder, 'payload'));
    const header = JSON.parse(bytes.subarray(0, bytes.indexOf(10)).toString('utf8'));
    if (header.metrics.hmean !== undefined) entries += 1;
  });
} else if (mode === 'raw') {
  await eachConcurrently(await folders(), async (folder) => {
    const text = await readFile(join(folder, 'checkpoint.yaml'), 'utf8');
    if (text.length > 0) entries += 1;
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}
const durationMs = performance.now() - start;
process.stdout.write(
  `${JSON.stringify({ durationMs, entries, peakBytes: process.resourceUsage().maxRSS * 1024 })}\n`,
);
