import { describe, expect, it } from 'vitest';
import { checkpointKeys } from '../naming/layout.js';
import { catalogFixture, collect } from '../testing/catalog-fixtures.js';
import { type LoggedWarning, warningRecorder } from '../testing/checkpoints-fixtures.js';
import { rejection } from '../testing/rejection.js';
import { createCatalog } from './create-catalog.js';
import type { MetadataLookup, MetadataSource, MetadataSubject } from './metadata-source.js';

/** A source answering from a fixed function, counting and keeping what it was asked. */
function probe(
  name: string,
  answer: (subject: MetadataSubject) => MetadataLookup | Promise<MetadataLookup>,
) {
  const asked: MetadataSubject[] = [];
  const source: MetadataSource = {
    name,
    lookup: async (subject) => {
      asked.push(subject);
      return answer(subject);
    },
  };
  return { source, asked };
}

const remote = (subject: MetadataSubject): MetadataLookup => ({
  status: 'found',
  answer: {
    metadata: { from: 'remote', id: subject.id ?? null },
    metrics: { hmean: 0.75, broken: Number.NaN },
    tags: ['remote'],
    epoch: 4,
    run: { id: 'wandb-run-1', state: 'COMPLETED' },
    origin: 'https://example.test/runs/1',
    cached: { fetchedAt: '2025-08-10T14:00:00.000Z', reason: 'fresh' },
  },
});

describe('the metadata chain', () => {
  it('never asks another source when the sidecar has metadata of its own', async () => {
    const { save, storage } = catalogFixture();
    await save({ metrics: { loss: 1 } });
    const other = probe('remote', remote);
    const entries = await collect(
      createCatalog({ storage, sources: [other.source] }).checkpoints(),
    );
    expect(entries.map((entry) => entry.source)).toEqual(['sidecar']);
    expect(other.asked).toEqual([]);
  });

  it('skips a damaged sidecar with its reason and takes the next source that answers', async () => {
    const { save, storage } = catalogFixture();
    const good = await save({ metrics: { loss: 1 } });
    const damaged = await save({ metrics: { loss: 2 } });
    await storage.put(checkpointKeys(damaged.id).sidecar, 'format: [not: valid');
    const missing = probe('wandb', () => ({ status: 'not-found', reason: 'no W&B run is mapped' }));
    const found = probe('lightning', remote);
    const entries = await collect(
      createCatalog({ storage, sources: [missing.source, found.source] }).checkpoints(),
    );
    expect(entries.map((entry) => entry.id)).toEqual([good.id, damaged.id]);
    const entry = entries[1];
    expect(entry).toMatchObject({
      id: damaged.id,
      step: 'train',
      source: 'lightning',
      metadata: { from: 'remote', id: damaged.id },
      metrics: { hmean: 0.75 },
      tags: ['remote'],
      epoch: 4,
      sourceRun: { id: 'wandb-run-1', state: 'COMPLETED' },
      origin: 'https://example.test/runs/1',
      cached: { reason: 'fresh' },
      payloadKey: checkpointKeys(damaged.id).payload,
    });
    // A metric that is not a finite number is dropped, never listed.
    expect(entry?.metrics).not.toHaveProperty('broken');
    expect(entry?.record).toBeUndefined();
    expect(entry?.skipped).toEqual([
      {
        source: 'sidecar',
        reason: expect.stringMatching(/its sidecar cannot be trusted: it is not valid YAML/),
      },
      { source: 'wandb', reason: 'no W&B run is mapped' },
    ]);
    // Each source got the subject it needs: the id, the payload key and the storage.
    expect(found.asked[0]).toMatchObject({
      id: damaged.id,
      payloadKey: checkpointKeys(damaged.id).payload,
    });
    expect(found.asked[0]?.storage).toBe(storage);
  });

  it('lists a damaged sidecar nobody can describe as source "none", with every reason', async () => {
    const { save, storage } = catalogFixture();
    const damaged = await save({ metrics: { loss: 2 } });
    await storage.put(checkpointKeys(damaged.id).sidecar, 'format: cairn.checkpoint/v1\n');
    const entries = await collect(createCatalog({ storage }).checkpoints());
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ id: damaged.id, source: 'none', metrics: {}, metadata: {} });
    expect(entries[0]?.skipped[0]?.reason).toMatch(/does not match cairn\.checkpoint\/v1/);
    // Filters on metrics leave it out.
    expect(
      await collect(
        createCatalog({ storage }).checkpoints({ best: { metric: 'loss', mode: 'min', k: 5 } }),
      ),
    ).toEqual([]);
  });

  it('asks the chain for a sidecar without metadata, and keeps the sidecar when nobody knows more', async () => {
    const { save, storage } = catalogFixture();
    const bare = await save();
    const answered = createCatalog({ storage, sources: [probe('remote', remote).source] });
    const [entry] = await collect(answered.checkpoints());
    expect(entry).toMatchObject({ source: 'remote', run: bare.run, size: bare.size, record: bare });
    expect(entry?.skipped).toEqual([
      { source: 'sidecar', reason: 'its sidecar holds no metadata, metrics or tags' },
    ]);
    const silent = createCatalog({
      storage,
      sources: [probe('remote', () => ({ status: 'unusable', reason: 'malformed answer' })).source],
    });
    const [kept] = await collect(silent.checkpoints());
    expect(kept).toMatchObject({
      source: 'sidecar',
      record: bare,
      skipped: [{ source: 'remote', reason: 'malformed answer' }],
    });
  });

  it('takes a failing source as no answer, its reason scrubbed of secrets, and logs it', async () => {
    const { save, storage } = catalogFixture();
    await save();
    const secret = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD';
    const failing = probe('remote', () => {
      throw new Error(`request failed with Authorization: Bearer ${secret}`);
    });
    const warnings: LoggedWarning[] = [];
    const catalog = createCatalog({
      storage,
      sources: [failing.source],
      logger: warningRecorder(warnings),
    });
    const [entry] = await collect(catalog.checkpoints());
    expect(entry?.source).toBe('sidecar');
    expect(entry?.skipped[0]?.reason).toMatch(/^it failed: request failed/);
    expect(JSON.stringify(entry)).not.toContain(secret);
    expect(JSON.stringify(warnings)).not.toContain(secret);
    expect(warnings[0]?.message).toBe('metadata source failed; asking the next one');
  });

  it('stops at the first source that answers', async () => {
    const { save, storage } = catalogFixture();
    await save();
    const first = probe('first', remote);
    const second = probe('second', remote);
    const [entry] = await collect(
      createCatalog({ storage, sources: [first.source, second.source] }).checkpoints(),
    );
    expect(entry?.source).toBe('first');
    expect(second.asked).toEqual([]);
  });

  it('stops the listing when it is cancelled, even inside a lookup', async () => {
    const { save, storage } = catalogFixture();
    await save();
    const controller = new AbortController();
    const slow = probe('remote', async (subject) => {
      controller.abort(new Error('stop'));
      subject.signal?.throwIfAborted();
      return { status: 'not-found', reason: 'never' };
    });
    const catalog = createCatalog({ storage, sources: [slow.source] });
    const error = await rejection(collect(catalog.checkpoints({ signal: controller.signal })));
    expect(error.code).toBe('ABORTED');
    expect(error.message).toMatch(
      /^\[cairn\] \[catalog\] Listing the catalog was aborted while source "remote" looked up/,
    );
    expect(error.cause).toEqual(new Error('stop'));
    expect(slow.asked[0]?.signal).toBe(controller.signal);
  });
});
