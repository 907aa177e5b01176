// Run by integration tests in a separate Node process (through tsx, so it can load the
// TypeScript sources): `node --conditions=source --import tsx child-storage.ts <command> …`.
// It prints one JSON line with its outcome.
import { isCairnError, readAll } from '@cairn/kernel';
import { createFsStorage } from '../index.js';

const [command, root, key, argument] = process.argv.slice(2);
if (command === undefined || root === undefined || key === undefined) {
  throw new Error('usage: child-storage.ts <command> <root> <key> [argument]');
}
const storage = createFsStorage({ root });

function report(outcome: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}

/** Writes 1 MiB chunks forever: the parent kills this process in the middle of the put. */
async function putForever(): Promise<void> {
  async function* endless() {
    for (let index = 0; ; index++) yield Buffer.alloc(1024 * 1024, index % 251);
  }
  report({ started: true, pid: process.pid });
  await storage.put(key as string, endless());
}

/**
 * Adds 1 to the counter at `key` `argument` times with compare-and-swap (ifMatch, or
 * ifNoneMatch for the first), retrying when another process won the race.
 */
async function increment(): Promise<void> {
  const times = Number(argument);
  let retries = 0;
  for (let done = 0; done < times; ) {
    const current = await storage.get(key as string).catch((error: unknown) => {
      if (isCairnError(error, 'NOT_FOUND')) return undefined;
      throw error;
    });
    const value = current ? Number((await readAll(current.body)).toString()) : 0;
    try {
      await storage.put(
        key as string,
        String(value + 1),
        current ? { ifMatch: current.info.etag } : { ifNoneMatch: '*' },
      );
      done += 1;
    } catch (error) {
      if (!isCairnError(error, 'PRECONDITION_FAILED')) throw error;
      retries += 1;
    }
  }
  report({ incremented: times, retries });
}

async function put(): Promise<void> {
  try {
    const info = await storage.put(key as string, argument ?? '');
    report({ stored: info.key });
  } catch (error) {
    if (!isCairnError(error)) throw error;
    report({ code: error.code, message: error.message, retryable: error.retryable });
  }
}

const commands: Record<string, () => Promise<void>> = {
  'put-forever': putForever,
  increment,
  put,
};
const run = commands[command];
if (run === undefined) throw new Error(`unknown command ${command}`);
await run();
