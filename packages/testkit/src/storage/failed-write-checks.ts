import { Readable } from 'node:stream';
import { errorCodes, type Storage } from '@cairn/kernel';
import { expectAbsent, expectCairnError, expectUnchanged } from './assertions.js';
import type { StorageCheckGroup } from './check-context.js';
import { patternChunks } from './pattern-body.js';

const chunkBytes = 16 * 1024;
const bodyBytes = 64 * chunkBytes;

/** A body that aborts `controller` after `chunksBeforeAbort` chunks and then keeps flowing. */
function abortingBody(controller: AbortController, chunksBeforeAbort: number): Readable {
  let index = 0;
  async function* generate(): AsyncGenerator<Buffer> {
    for (const chunk of patternChunks(bodyBytes, 21, chunkBytes)) {
      if (index === chunksBeforeAbort) controller.abort(new Error('the caller gave up'));
      index += 1;
      yield chunk;
    }
  }
  return Readable.from(generate(), { objectMode: false });
}

/**
 * A body that sends one chunk, aborts `controller` on the next turn of the event loop, then
 * sends nothing more: like a network source that hangs. Only a backend that listens to the
 * signal itself, rather than checking it between chunks, can stop.
 */
function stallingBody(controller: AbortController): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (sent) {
        setImmediate(() => controller.abort(new Error('the caller gave up')));
        return;
      }
      sent = true;
      this.push(Buffer.alloc(chunkBytes, 1));
    },
  });
}

/** A body that fails after a few chunks, like a file that cannot be read to the end. */
function failingBody(kind: 'generator' | 'destroyed stream'): Readable | AsyncIterable<Uint8Array> {
  const failure = new Error('the source broke halfway');
  if (kind === 'generator') {
    return (async function* () {
      yield Buffer.alloc(chunkBytes, 2);
      await new Promise((resolve) => setImmediate(resolve));
      yield Buffer.alloc(chunkBytes, 3);
      throw failure;
    })();
  }
  let sent = 0;
  return new Readable({
    read() {
      sent += 1;
      if (sent <= 2) this.push(Buffer.alloc(chunkBytes, 4));
      else setImmediate(() => this.destroy(failure));
    },
  });
}

async function putAborted(
  storage: Storage,
  key: string,
  body: Readable,
  controller: AbortController,
  action: string,
): Promise<void> {
  try {
    await expectCairnError(
      storage,
      action,
      () => storage.put(key, body, { signal: controller.signal }),
      ['ABORTED'],
    );
  } finally {
    body.destroy();
  }
}

/**
 * A put that does not finish leaves nothing behind. A failing body may be reported with any
 * code the backend finds fitting, as long as it is a CairnError.
 */
export const failedWriteChecks: StorageCheckGroup = {
  title: 'failed writes',
  checks: [
    {
      title: 'a put aborted mid-stream fails with ABORTED and stores nothing',
      async run({ storage, prefix }) {
        const key = `${prefix}aborted.bin`;
        const controller = new AbortController();
        await putAborted(
          storage,
          key,
          abortingBody(controller, 3),
          controller,
          'put aborted mid-stream',
        );
        await expectAbsent(storage, key, 'after the aborted put');
      },
    },
    {
      title: 'a put aborted while its body is stalled fails with ABORTED and stores nothing',
      async run({ storage, prefix }) {
        const key = `${prefix}stalled.bin`;
        const controller = new AbortController();
        await putAborted(
          storage,
          key,
          stallingBody(controller),
          controller,
          'put aborted while the body stalls',
        );
        await expectAbsent(storage, key, 'after the aborted put');
      },
    },
    {
      title: 'a put with an already aborted signal fails with ABORTED and stores nothing',
      async run({ storage, prefix }) {
        const key = `${prefix}never-started.bin`;
        const controller = new AbortController();
        controller.abort(new Error('aborted before the call'));
        await putAborted(
          storage,
          key,
          Readable.from([Buffer.from('unwanted')], { objectMode: false }),
          controller,
          'put with an aborted signal',
        );
        await expectAbsent(storage, key, 'after the put with an aborted signal');
      },
    },
    {
      title: 'an overwrite aborted mid-stream keeps the old content',
      async run({ storage, prefix }) {
        const key = `${prefix}kept-after-abort.txt`;
        const original = await storage.put(key, 'the original survives');
        const controller = new AbortController();
        await putAborted(
          storage,
          key,
          abortingBody(controller, 5),
          controller,
          'overwrite aborted mid-stream',
        );
        await expectUnchanged(
          storage,
          key,
          Buffer.from('the original survives'),
          original.etag,
          'after the aborted overwrite',
        );
      },
    },
    {
      title: 'a put whose body fails mid-way rejects and stores nothing',
      async run({ storage, prefix }) {
        for (const kind of ['generator', 'destroyed stream'] as const) {
          const key = `${prefix}broken-${kind.replace(' ', '-')}.bin`;
          await expectCairnError(
            storage,
            `put of a ${kind} body that fails`,
            () => storage.put(key, failingBody(kind)),
            errorCodes,
          );
          await expectAbsent(storage, key, `after the ${kind} body failed`);
        }
      },
    },
    {
      title: 'an overwrite whose body fails mid-way keeps the old content',
      async run({ storage, prefix }) {
        const key = `${prefix}kept-after-failure.txt`;
        const original = await storage.put(key, 'the original survives');
        await expectCairnError(
          storage,
          'overwrite with a failing body',
          () => storage.put(key, failingBody('destroyed stream')),
          errorCodes,
        );
        await expectUnchanged(
          storage,
          key,
          Buffer.from('the original survives'),
          original.etag,
          'after the failed overwrite',
        );
      },
    },
  ],
};
