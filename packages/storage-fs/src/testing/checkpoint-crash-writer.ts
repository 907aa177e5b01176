// The writer of the checkpoint crash harness, run in a child process that the parent kills
// with SIGKILL: `checkpoint-crash-writer <root> <run> <step> <fault>`.
//
// It loads its modules, then waits for `GO <first counter>` on stdin (so the parent can start
// it while the previous writer is still being checked), opens the storage (which cleans up
// after the writer killed before it), prints `READY`, and saves checkpoints in a loop:
// `BEGIN <counter>` before each save, `ACK <counter> <id>` once the save has resolved.
// Lines go out with a synchronous write of less than a pipe buffer: a kill never tears one,
// and an ACK the parent reads was printed after its save resolved.
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCheckpointStore } from '@cairn/kernel';
import { createFsStorage } from '../index.js';
import { type CrashFault, crashFaults, withCrashFault } from './checkpoint-crash-faults.js';
import { bodyStream, expectedState, payloadKind, thinkTimeMs } from './checkpoint-payloads.js';

const [root, run, step, fault] = process.argv.slice(2);
if (
  root === undefined ||
  run === undefined ||
  step === undefined ||
  !crashFaults.includes(fault as CrashFault)
) {
  throw new Error(`usage: checkpoint-crash-writer <root> <run> <step> <${crashFaults.join('|')}>`);
}

function say(line: string): void {
  writeSync(1, `${line}\n`);
}

const lines = createInterface({ input: process.stdin });
// The parent went away: nobody will kill this writer, so it stops by itself.
lines.once('close', () => process.exit(0));
const go = await new Promise<string>((resolve) => lines.once('line', resolve));
const first = Number(/^GO (\d+)$/.exec(go)?.[1]);
if (!Number.isSafeInteger(first)) throw new Error(`expected "GO <counter>", got ${go}`);

const storage = withCrashFault(createFsStorage({ root, fsync: true }), fault as CrashFault);
const store = createCheckpointStore({ storage });
// The first operation opens the storage: what the killed writer left is cleaned up here.
await storage.head('checkpoints/opened');
say('READY');

for (let counter = first; ; counter++) {
  say(`BEGIN ${counter}`);
  const common = { run, step, metadata: { counter } };
  const record =
    payloadKind(counter) === 'body'
      ? await store.save({ ...common, body: bodyStream(counter) })
      : await store.save({ ...common, state: expectedState(counter) });
  say(`ACK ${counter} ${record.id}`);
  const pause = thinkTimeMs(counter);
  if (pause > 0) await sleep(pause);
}
