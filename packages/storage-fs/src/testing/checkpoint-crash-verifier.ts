// The verifier of the checkpoint crash harness, a child process that is never the writer:
// `checkpoint-crash-verifier`. For each JSON request line on stdin it opens a NEW fs storage
// and checkpoint store (no state survives from one request to the next, none ever came from
// the writer), checks what is committed, and prints one JSON report line
// (see checkpoint-crash-report.ts).
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createCheckpointStore, isCairnError, keepLast } from '@cairn/kernel';
import { createFsStorage } from '../index.js';
import type {
  DiskFacts,
  ErrorFacts,
  FailedLoad,
  LoadedFacts,
  VerifierReport,
} from './checkpoint-crash-report.js';
import { describePayload } from './checkpoint-payloads.js';

/** One request: where to look, what to keep afterwards. */
export interface VerifierRequest {
  readonly root: string;
  readonly run: string;
  readonly step: string;
  /** After the checks, prune the run's step down to this many checkpoints. */
  readonly keepLast: number;
  /** Ids the prune must keep (the last acknowledged one). */
  readonly protect: readonly string[];
}

type CheckpointStore = ReturnType<typeof createCheckpointStore>;

function errorFacts(error: unknown): ErrorFacts {
  if (isCairnError(error)) return { code: error.code, message: error.message };
  return { message: error instanceof Error ? error.message : String(error) };
}

function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function loadFacts(
  store: CheckpointStore,
  selector: { id: string } | { step: string; run: string },
): Promise<LoadedFacts | FailedLoad> {
  try {
    const { record, state } = await store.load(selector);
    // The json codec stores JSON.stringify(state): hashing it again checks the digest from
    // the decoded value, independently of the store's own verification.
    const bytes = Buffer.isBuffer(state) ? state : JSON.stringify(state);
    const payload = describePayload(record.codec, state);
    const metadataCounter = record.metadata.counter;
    return {
      id: record.id,
      ...payload,
      ...(typeof metadataCounter === 'number' ? { metadataCounter } : {}),
      digestMatches: sha256(bytes) === record.sha256,
    };
  } catch (error) {
    return { ...('id' in selector ? { id: selector.id } : {}), error: errorFacts(error) };
  }
}

/** Reads sidecars and payload files straight from disk, without the storage's code. */
async function scanDisk(root: string, step: string): Promise<DiskFacts> {
  const stepFolder = join(root, 'checkpoints', step);
  const problems: string[] = [];
  let sidecars = 0;
  let orphanPayloads = 0;
  const folders = await readdir(stepFolder).catch(() => [] as string[]);
  for (const folder of folders) {
    const files = await readdir(join(stepFolder, folder)).catch(() => [] as string[]);
    if (!files.includes('checkpoint.yaml')) {
      if (files.includes('payload')) orphanPayloads += 1;
      continue;
    }
    sidecars += 1;
    const text = await readFile(join(stepFolder, folder, 'checkpoint.yaml'), 'utf8');
    const size = Number(/^size: (\d+)$/m.exec(text)?.[1]);
    const digest = /^sha256: ([0-9a-f]{64})$/m.exec(text)?.[1];
    if (!Number.isSafeInteger(size) || digest === undefined || !/^tags:/m.test(text)) {
      problems.push(`the sidecar of ${step}/${folder} is incomplete`);
      continue;
    }
    if (!files.includes('payload')) {
      problems.push(`the sidecar of ${step}/${folder} has no payload file`);
      continue;
    }
    const payload = await readFile(join(stepFolder, folder, 'payload'));
    if (payload.length !== size || sha256(payload) !== digest) {
      problems.push(
        `the payload of ${step}/${folder} has ${payload.length} bytes (SHA-256 ${sha256(payload).slice(0, 12)}…), its sidecar says ${size} (${digest.slice(0, 12)}…)`,
      );
    }
  }
  return { sidecars, orphanPayloads, problems };
}

/** What a fresh storage left in `.cairn-tmp` once it had opened (and cleaned up). */
async function leftoversIn(root: string): Promise<{ leftovers: string[]; emptyLocks: number }> {
  const temporary = join(root, '.cairn-tmp');
  const leftovers = (await readdir(temporary).catch(() => [] as string[])).filter(
    (name) => name !== 'locks',
  );
  let emptyLocks = 0;
  for (const name of await readdir(join(temporary, 'locks')).catch(() => [] as string[])) {
    const size = await stat(join(temporary, 'locks', name)).then(
      (found) => found.size,
      () => undefined,
    );
    if (size === 0) emptyLocks += 1;
    else if (size !== undefined) leftovers.push(`locks/${name} (${size} bytes)`);
  }
  return { leftovers, emptyLocks };
}

async function verify(request: VerifierRequest): Promise<VerifierReport> {
  const { root, run, step } = request;
  const storage = createFsStorage({ root, fsync: true });
  const store = createCheckpointStore({ storage });
  let latestId: string | undefined;
  let latest: LoadedFacts | FailedLoad | undefined;
  const listed: (LoadedFacts | FailedLoad)[] = [];
  let pruned = 0;
  let error: ErrorFacts | undefined;
  try {
    latestId = (await store.latest({ step, run }))?.id;
    latest = await loadFacts(store, { step, run });
    if (latestId === undefined && isNotFound(latest)) latest = undefined;
    for await (const record of store.list({ step, run })) {
      listed.push(await loadFacts(store, { id: record.id }));
    }
  } catch (caught) {
    error = errorFacts(caught);
  }
  const { leftovers, emptyLocks } = await leftoversIn(root);
  const disk = await scanDisk(root, step);
  if (error === undefined) {
    try {
      const report = await store.prune({
        run,
        step,
        keep: [keepLast(request.keepLast)],
        protect: request.protect,
      });
      pruned = report.deleted.length;
    } catch (caught) {
      error = errorFacts(caught);
    }
  }
  return {
    ...(latestId === undefined ? {} : { latestId }),
    ...(latest === undefined ? {} : { latest }),
    listed,
    disk,
    leftovers,
    emptyLocks,
    pruned,
    ...(error === undefined ? {} : { error }),
  };
}

/** `load latest` finding nothing when `latest()` found nothing: there is no checkpoint yet. */
function isNotFound(facts: LoadedFacts | FailedLoad): boolean {
  return 'error' in facts && facts.error.code === 'NOT_FOUND';
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const report = await verify(JSON.parse(line) as VerifierRequest);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
