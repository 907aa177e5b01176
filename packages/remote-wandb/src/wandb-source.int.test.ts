import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CheckpointRecord,
  createMemoryStorage,
  isCairnError,
  type Logger,
  type MetadataSubject,
} from '@cairn/kernel';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  runResponse,
  sampleRun,
  startWandbTestServer,
  type WandbTestServer,
} from './testing/wandb-test-server.js';
import { createWandbSource } from './wandb-source.js';
import type { WandbSourceOptions } from './wandb-source-options.js';

const apiKey = 'local-0123456789abcdef0123456789abcdef01234567';
let server: WandbTestServer;
const folders: string[] = [];

beforeAll(async () => {
  server = await startWandbTestServer();
});
afterAll(async () => {
  await server.close();
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});
afterEach(() => {
  server.requests.length = 0;
  server.fallback = () => runResponse(sampleRun());
});

/** A sidecar that names its W&B run. */
function recordNaming(wandb: unknown): CheckpointRecord {
  return {
    format: 'cairn.checkpoint/v1',
    id: 'fit/20240501T133000.000Z-abcdef',
    run: 'train/20240501T123000.000Z-abcdef',
    step: 'fit',
    createdAt: '2024-05-01T13:30:00.000Z',
    size: 1,
    sha256: 'a'.repeat(64),
    codec: 'raw',
    contentType: 'application/octet-stream',
    metadata: { wandb: wandb as never },
    metrics: {},
    tags: [],
  };
}

function subjectOf(
  record?: CheckpointRecord,
  payloadKey = 'checkpoints/fit/x/payload',
): MetadataSubject {
  return {
    ...(record === undefined ? {} : { id: record.id, record }),
    payloadKey,
    storage: createMemoryStorage(),
  };
}

const mapped = recordNaming({ entity: 'team', project: 'segmentation', run: 'abc123' });

function source(options: Partial<WandbSourceOptions> = {}, hooks = {}) {
  return createWandbSource(
    {
      apiKey,
      baseUrl: server.baseUrl,
      retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5 },
      ...options,
    },
    hooks,
  );
}

async function cacheFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'cairn-wandb-cache-'));
  folders.push(folder);
  return folder;
}

function recordingLogger(lines: string[]): Logger {
  const record = (fields: unknown, message?: string) => {
    lines.push(JSON.stringify([fields, message]));
  };
  const logger: Logger = {
    debug: record,
    info: record,
    warn: record,
    error: record,
    child: () => logger,
  };
  return logger;
}

describe('the W&B source', () => {
  it('answers with the run a sidecar names: config unwrapped, summary numbers, state, tags', async () => {
    const outcome = await source().lookup(subjectOf(mapped));
    expect(outcome.status).toBe('found');
    if (outcome.status !== 'found') return;
    const url = `${server.baseUrl}/team/segmentation/runs/abc123`;
    expect(outcome.answer).toEqual({
      metadata: {
        lr: 0.0003,
        batch_size: 32,
        model: { name: 'resnet50', layers: 50 },
        epoch: 12,
        wandb: {
          entity: 'team',
          project: 'segmentation',
          runId: 'abc123',
          group: 'sweep-7',
          jobType: 'train',
          mappedBy: 'sidecar metadata',
        },
      },
      metrics: {
        epoch: 11,
        'val/hmean': 0.82,
        'val.precision': 0.85,
        'val.recall': 0.79,
        loss: 0.123,
      },
      tags: ['baseline', 'v2'],
      run: {
        id: 'abc123',
        name: 'glowing-sun-42',
        state: 'COMPLETED',
        url,
        group: 'sweep-7',
        jobType: 'train',
        commit: '0123456789abcdef0123456789abcdef01234567',
        createdAt: '2024-05-01T12:30:00.000Z',
      },
      epoch: 11,
      trainingStep: 1200,
      createdAt: '2024-05-01T12:30:00.000Z',
      origin: url,
    });
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/graphql');
    expect(request?.authorization).toBe(`Basic ${Buffer.from(`api:${apiKey}`).toString('base64')}`);
    expect(request?.body.variables).toEqual({
      entity: 'team',
      project: 'segmentation',
      run: 'abc123',
    });
    expect(request?.body.query).toMatch(/project\(name: \$project, entityName: \$entity\)/);
    expect(request?.body.query).toMatch(/run\(name: \$run\)/);
  });

  it('sends wb_at_ access tokens as Bearer', async () => {
    await source({ apiKey: 'wb_at_token-value' }).lookup(subjectOf(mapped));
    expect(server.requests[0]?.authorization).toBe('Bearer wb_at_token-value');
  });

  it('maps states: failed, crashed, killed and running', async () => {
    const states: Record<string, string> = {
      failed: 'FAILED',
      crashed: 'INTERRUPTED',
      killed: 'INTERRUPTED',
      running: 'RUNNING',
    };
    for (const [state, expected] of Object.entries(states)) {
      server.plan(runResponse(sampleRun({ state })));
      const outcome = await source().lookup(subjectOf(mapped));
      expect(outcome.status === 'found' && outcome.answer.run?.state).toBe(expected);
    }
  });

  it('finds the run from a path string, the runs option, or a wandb/ run folder beside the payload', async () => {
    const byString = await source().lookup(
      subjectOf(recordNaming('team/segmentation/runs/abc123')),
    );
    expect(byString.status === 'found' && byString.answer.metadata.wandb).toMatchObject({
      mappedBy: 'sidecar metadata',
    });

    const byPrefix = await source({
      runs: { 'models/': 'team/segmentation/abc123', 'models/old/': 'team/segmentation/zzz' },
    }).lookup(subjectOf(undefined, 'models/best.ckpt'));
    expect(byPrefix.status === 'found' && byPrefix.answer.metadata.wandb).toMatchObject({
      mappedBy: 'runs option "models/"',
    });
    expect(server.requests.at(-1)?.body.variables?.run).toBe('abc123');

    const storage = createMemoryStorage();
    await storage.put('exp/wandb/run-20240501_123000-old111/files/config.yaml', 'x');
    await storage.put('exp/wandb/run-20240502_090000-abc123/files/config.yaml', 'x');
    const subject = { payloadKey: 'exp/checkpoints/epoch=3.ckpt', storage };
    const byFolder = await source({ entity: 'team', project: 'segmentation' }).lookup(subject);
    expect(byFolder.status === 'found' && byFolder.answer.metadata.wandb).toMatchObject({
      mappedBy: 'run folder "exp/wandb/run-20240502_090000-abc123/"',
    });
    const withoutProject = await source().lookup(subject);
    expect(withoutProject).toEqual({
      status: 'not-found',
      reason: expect.stringMatching(/names run abc123, but no entity and project are configured/),
    });
    const unmapped = await source().lookup(subjectOf(undefined, 'elsewhere/model.ckpt'));
    expect(unmapped).toEqual({
      status: 'not-found',
      reason: expect.stringMatching(/^no W&B run is mapped to it/),
    });
  });

  it('says not found for a missing project or run, without an error', async () => {
    server.plan(runResponse(null, 'missing'));
    expect(await source().lookup(subjectOf(mapped))).toEqual({
      status: 'not-found',
      reason: 'W&B has no run team/segmentation/abc123 (its project or the run does not exist)',
    });
    server.plan(runResponse(null));
    expect((await source().lookup(subjectOf(mapped))).status).toBe('not-found');
    server.plan({
      body: JSON.stringify({ data: { project: null }, errors: [{ message: 'project not found' }] }),
    });
    expect((await source().lookup(subjectOf(mapped))).status).toBe('not-found');
  });

  it('retries a 500 and a 429 (waiting its Retry-After), then answers', async () => {
    server.plan(
      { status: 500, body: 'internal error' },
      {
        status: 429,
        headers: { 'retry-after': '1' },
        body: '{"errors":[{"message":"rate limit"}]}',
      },
    );
    const outcome = await source().lookup(subjectOf(mapped));
    expect(outcome.status).toBe('found');
    expect(server.requests).toHaveLength(3);
  });

  it('gives up on a server that stays slow after its bounded retries, and says so', async () => {
    server.fallback = () => ({ ...runResponse(sampleRun()), delayMs: 1_000 });
    const outcome = await source({ timeoutMs: 100 }).lookup(subjectOf(mapped));
    expect(outcome).toEqual({
      status: 'not-found',
      reason: expect.stringMatching(/W&B could not be reached and nothing is cached/),
    });
    expect(server.requests).toHaveLength(3);
  });

  it('never retries a refused key: one request, a clear error, and no key in it', async () => {
    server.plan({ status: 401, body: '{"error":"unauthorized"}' });
    const error = await source()
      .lookup(subjectOf(mapped))
      .then(
        () => undefined,
        (failure: unknown) => failure,
      );
    expect(isCairnError(error) && error.code).toBe('PERMANENT_IO');
    expect((error as Error).message).toMatch(/W&B refused the API key \(401\).*WANDB_API_KEY/);
    expect(server.requests).toHaveLength(1);
    const seen =
      JSON.stringify(error, Object.getOwnPropertyNames(error as object)) +
      String((error as Error).stack);
    expect(seen).not.toContain(apiKey);
    server.plan({ status: 403, body: 'forbidden' });
    await expect(source().lookup(subjectOf(mapped))).rejects.toThrow(/refused the API key \(403\)/);
    expect(server.requests).toHaveLength(2);
  });

  it('reports a malformed body or a GraphQL error as unusable, without retrying', async () => {
    server.plan({ body: '{"data": {"project": ' });
    expect(await source().lookup(subjectOf(mapped))).toEqual({
      status: 'unusable',
      reason: expect.stringMatching(/body that is not JSON/),
    });
    server.plan({ body: JSON.stringify({ errors: [{ message: 'Cannot query field "foo"' }] }) });
    expect(await source().lookup(subjectOf(mapped))).toEqual({
      status: 'unusable',
      reason: expect.stringMatching(/Cannot query field/),
    });
    server.plan(runResponse(sampleRun({ config: '{not json' })));
    expect(await source().lookup(subjectOf(mapped))).toEqual({
      status: 'unusable',
      reason: expect.stringMatching(/its config is not valid JSON/),
    });
    expect(server.requests).toHaveLength(3);
  });

  it('asks once for many checkpoints of one run looked up together', async () => {
    const wandb = source();
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => wandb.lookup(subjectOf(mapped))),
    );
    expect(outcomes.every((outcome) => outcome.status === 'found')).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('lets one lookup give up without cancelling the request another lookup waits for', async () => {
    server.fallback = () => ({ ...runResponse(sampleRun()), delayMs: 300 });
    const wandb = source();
    const controller = new AbortController();
    const cancelled = wandb.lookup({ ...subjectOf(mapped), signal: controller.signal });
    const waiting = wandb.lookup(subjectOf(mapped));
    setTimeout(() => controller.abort(), 50);
    await expect(cancelled).rejects.toMatchObject({ code: 'ABORTED' });
    expect((await waiting).status).toBe('found');
    expect(server.requests).toHaveLength(1);
  });

  it('answers from its cache within the TTL, across processes, offline and when W&B is down, and says so', async () => {
    const cacheDirectory = await cacheFolder();
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const lines: string[] = [];
    const hooks = { now: () => clock, logger: recordingLogger(lines) };
    const first = await source({ cacheDirectory }, hooks).lookup(subjectOf(mapped));
    expect(first.status === 'found' && first.answer.cached).toBeUndefined();
    // Another process, within the hour: the disk cache answers.
    const again = await source({ cacheDirectory }, hooks).lookup(subjectOf(mapped));
    expect(again.status === 'found' && again.answer.cached).toEqual({
      fetchedAt: '2026-01-01T00:00:00.000Z',
      reason: 'fresh',
    });
    expect(server.requests).toHaveLength(1);
    // Offline: the cache only, whatever its age.
    clock += 5 * 60 * 60 * 1000;
    const offline = await source(
      { cacheDirectory, offline: true, apiKey: undefined },
      { ...hooks, environment: {} },
    ).lookup(subjectOf(mapped));
    expect(offline.status === 'found' && offline.answer.cached?.reason).toBe('offline');
    expect(server.requests).toHaveLength(1);
    const missing = await source({ cacheDirectory, offline: true }, hooks).lookup(
      subjectOf(recordNaming('team/segmentation/other')),
    );
    expect(missing).toEqual({
      status: 'not-found',
      reason: 'offline, and nothing is cached for W&B run team/segmentation/other',
    });
    // Expired: asked again; W&B down: the stale answer, marked unreachable.
    server.plan({ status: 503, body: '' }, { status: 503, body: '' }, { status: 503, body: '' });
    const stale = await source({ cacheDirectory }, hooks).lookup(subjectOf(mapped));
    expect(stale.status === 'found' && stale.answer.cached?.reason).toBe('unreachable');
    expect(server.requests).toHaveLength(4);
    const refreshed = await source({ cacheDirectory }, hooks).lookup(subjectOf(mapped));
    expect(refreshed.status === 'found' && refreshed.answer.cached).toBeUndefined();
    // The key is nowhere: not in the cache files, not in what was logged.
    for (const file of await readdir(cacheDirectory)) {
      const text = await readFile(join(cacheDirectory, file), 'utf8');
      expect(text).toContain('team/segmentation/abc123');
      expect(text).not.toContain(apiKey);
    }
    expect(lines.join('\n')).not.toContain(apiKey);
    expect(lines.join('\n')).toMatch(/W&B lookup failed/);
  });

  it('ignores a damaged cache file and fetches again', async () => {
    const cacheDirectory = await cacheFolder();
    await source({ cacheDirectory }).lookup(subjectOf(mapped));
    const [file] = await readdir(cacheDirectory);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      join(cacheDirectory, file as string),
      '{"format": "cairn.wandb-cache/v1", "run": ',
    );
    const outcome = await source({ cacheDirectory }).lookup(subjectOf(mapped));
    expect(outcome.status === 'found' && outcome.answer.cached).toBeUndefined();
    expect(server.requests).toHaveLength(2);
  });

  it('refuses bad options clearly, and never echoes the key', () => {
    expect(() => createWandbSource({ baseUrl: 'ftp://example.test', apiKey })).toThrow(/baseUrl/);
    expect(() => createWandbSource({}, { environment: {} })).toThrow(
      /No W&B API key: set WANDB_API_KEY/,
    );
    const error = (() => {
      try {
        createWandbSource({ apiKey, runs: { 'a/': 'not-a-path' } });
      } catch (failure) {
        return failure as Error;
      }
      return undefined;
    })();
    expect(error?.message).toMatch(/runs\.a\/: expected "entity\/project\/runId"/);
    expect(error?.message).not.toContain(apiKey);
    expect(() => createWandbSource({}, { environment: { WANDB_API_KEY: apiKey } })).not.toThrow();
  });

  it('stops with ABORTED when cancelled, and refuses lookups once closed', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      source().lookup({ ...subjectOf(mapped), signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    server.fallback = () => ({ ...runResponse(sampleRun()), delayMs: 2_000 });
    const during = new AbortController();
    const pending = source().lookup({ ...subjectOf(mapped), signal: during.signal });
    setTimeout(() => during.abort(), 50);
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    const closing = source();
    await closing.close?.();
    await expect(closing.lookup(subjectOf(mapped))).rejects.toThrow(/closed/);
  });
});
