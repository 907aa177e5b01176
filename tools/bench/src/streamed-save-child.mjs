// Run by benchmark P2, one fresh plain Node process (no tsx) per round: saves one file as a
// checkpoint through a stream, with @cairn/kernel and @cairn/storage-fs as built (dist), as a
// user's pipeline would run them. Prints one JSON line: how long the save took (start-up and
// imports excluded), the resident set size before it and the process's peak (maxRSS), in
// bytes, and the record's size and SHA-256.
//
// Arguments: storage root, source file.
import { createReadStream } from 'node:fs';
import { createCheckpointStore, defaultTimeIds, runId } from '@cairn/kernel';
import { createFsStorage } from '@cairn/storage-fs';

const [root, source] = process.argv.slice(2);
if (root === undefined || source === undefined) {
  throw new Error('usage: streamed-save-child.mjs <storage root> <source file>');
}
const storage = createFsStorage({ root });
const store = createCheckpointStore({ storage });
const beforeBytes = process.memoryUsage.rss();
const start = performance.now();
const record = await store.save({
  run: runId('bench', defaultTimeIds.next()),
  step: 'train',
  body: createReadStream(source),
});
const durationMs = performance.now() - start;
await storage.close?.();
process.stdout.write(
  `${JSON.stringify({
    durationMs,
    beforeBytes,
    peakBytes: process.resourceUsage().maxRSS * 1024,
    size: record.size,
    sha256: record.sha256,
  })}\n`,
);
