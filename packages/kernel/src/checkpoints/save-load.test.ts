import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkpointKeys } from '../naming/layout.js';
import { readAll, sha256Of } from '../storage/body.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import {
  bytesAt,
  keysOf,
  otherRun,
  storeOver,
  testRun,
  testStart,
} from '../testing/checkpoints-fixtures.js';
import { rejection } from '../testing/rejection.js';
import { temporaryProjects } from '../testing/temporary-project.js';
import { checkpointRecordSchema } from './checkpoint-record.js';

const temporaryDirectory = temporaryProjects('cairn-checkpoints-save');

describe('save and load', () => {
  it('round-trips JSON state and writes payload and sidecar under the layout keys', async () => {
    const { store, storage } = storeOver();
    const state = { answers: ['a', 'b'], count: 2, nested: { ok: true, none: null } };
    const saved = await store.save({ run: testRun, step: 'generate', state });
    expect(saved.id).toMatch(/^generate\/20250810T143200\.000Z-[0-9a-z]{6}$/);
    const keys = checkpointKeys(saved.id);
    expect(await keysOf(storage)).toEqual([keys.sidecar, keys.payload]);
    expect(JSON.parse((await bytesAt(storage, keys.payload)).toString('utf8'))).toEqual(state);
    const loaded = await store.load({ id: saved.id });
    expect(loaded.state).toEqual(state);
    expect(loaded.record).toEqual(saved);
    expect(loaded.problems).toEqual([]);
  });

  it('returns the committed sidecar: every field, and the YAML on storage says the same', async () => {
    const { store, storage } = storeOver();
    const saved = await store.save({
      run: testRun,
      step: 'train',
      state: [1, 2, 3],
      metadata: { epoch: 3, dataset: { name: 'squad', version: 2 }, note: '123' },
      metrics: { precision: 0.91, recall: 0.8, hmean: 0.85 },
      tags: ['baseline', 'gpu', 'baseline'],
    });
    expect(saved).toEqual({
      format: 'cairn.checkpoint/v1',
      id: saved.id,
      run: testRun,
      step: 'train',
      createdAt: new Date(testStart).toISOString(),
      size: 7,
      sha256: sha256Of('[1,2,3]'),
      codec: 'json',
      contentType: 'application/json',
      metadata: { epoch: 3, dataset: { name: 'squad', version: 2 }, note: '123' },
      metrics: { precision: 0.91, recall: 0.8, hmean: 0.85 },
      tags: ['baseline', 'gpu'],
      sequence: 1,
    });
    const yaml = (await bytesAt(storage, checkpointKeys(saved.id).sidecar)).toString('utf8');
    expect(checkpointRecordSchema.parse(parse(yaml))).toEqual(saved);
    // A string that looks like a number stays a string.
    expect(yaml).toContain('note: "123"');
  });

  it('emits checkpoint-saved with size, digest, duration and metrics, then checkpoint-loaded', async () => {
    const { store, events } = storeOver();
    const saved = await store.save({
      run: testRun,
      step: 'eval',
      state: 'x',
      metrics: { f1: 0.5 },
    });
    await store.load({ id: saved.id });
    expect(events).toEqual([
      {
        type: 'checkpoint-saved',
        step: 'eval',
        checkpoint: saved.id,
        size: saved.size,
        sha256: saved.sha256,
        durationMs: 0,
        metrics: { f1: 0.5 },
      },
      { type: 'checkpoint-loaded', step: 'eval', checkpoint: saved.id },
    ]);
  });

  it('round-trips bytes, a string body, a Node stream, a web stream and an async iterable', async () => {
    const { store } = storeOver();
    const chunks = [Buffer.from('hello '), Buffer.from('checkpoint '), Buffer.from('world')];
    const expected = Buffer.concat(chunks);
    const bodies = [
      new Uint8Array(expected),
      expected.toString('utf8'),
      Readable.from(chunks),
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(new Uint8Array(chunk));
          controller.close();
        },
      }),
      (async function* () {
        yield* chunks;
      })(),
    ];
    for (const body of bodies) {
      const saved = await store.save({ run: testRun, step: 'bytes', body });
      expect(saved.codec).toBe('raw');
      expect(saved.contentType).toBe('application/octet-stream');
      expect(saved.size).toBe(expected.length);
      const loaded = await store.load<Buffer>({ id: saved.id });
      expect(Buffer.isBuffer(loaded.state)).toBe(true);
      expect(loaded.state.equals(expected)).toBe(true);
      const opened = await store.open({ id: saved.id });
      expect((await readAll(opened.body)).equals(expected)).toBe(true);
    }
  });

  it('saves an empty payload', async () => {
    const { store } = storeOver();
    const saved = await store.save({ run: testRun, step: 'empty', body: new Uint8Array(0) });
    expect(saved.size).toBe(0);
    expect((await store.load<Buffer>({ id: saved.id })).state.length).toBe(0);
  });

  it('streams a file from disk and keeps the content type given', async () => {
    const { store } = storeOver();
    const directory = await temporaryDirectory();
    const file = path.join(directory, 'model.bin');
    const content = Buffer.alloc(300_000, 7);
    content.write('header', 0);
    await writeFile(file, content);
    const saved = await store.save({
      run: testRun,
      step: 'train',
      file,
      contentType: 'application/x-safetensors',
    });
    expect(saved).toMatchObject({ size: content.length, codec: 'raw' });
    expect(saved.contentType).toBe('application/x-safetensors');
    expect((await store.load<Buffer>({ id: saved.id })).state.equals(content)).toBe(true);
  });

  it('refuses a missing file with NOT_FOUND and writes nothing', async () => {
    const { store, storage } = storeOver();
    const directory = await temporaryDirectory();
    const error = await rejection(
      store.save({ run: testRun, step: 'train', file: path.join(directory, 'absent.bin') }),
    );
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('absent.bin');
    expect(await keysOf(storage)).toEqual([]);
  });

  it('stores bytes through the raw codec when asked for it by name', async () => {
    const { store } = storeOver();
    const saved = await store.save({
      run: testRun,
      step: 'raw',
      state: Buffer.from([1, 2, 3]),
      codec: 'raw',
    });
    expect(saved.codec).toBe('raw');
    expect([...(await store.load<Buffer>({ id: saved.id })).state]).toEqual([1, 2, 3]);
  });

  it('encodes and decodes with a custom codec named in the sidecar', async () => {
    const lines = {
      name: 'lines',
      contentType: 'text/plain',
      encode: (value: unknown) => (value as string[]).join('\n'),
      decode: (bytes: Buffer) => bytes.toString('utf8').split('\n'),
    };
    const storage = createMemoryStorage();
    const { store } = storeOver(storage, { codecs: [lines] });
    const saved = await store.save({
      run: testRun,
      step: 'text',
      state: ['a', 'b'],
      codec: 'lines',
    });
    expect(saved).toMatchObject({ codec: 'lines', contentType: 'text/plain' });
    expect((await store.load({ step: 'text' })).state).toEqual(['a', 'b']);

    // A store without the codec refuses clearly, naming what it knows.
    const { store: without } = storeOver(storage);
    const error = await rejection(without.load({ id: saved.id }));
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.message).toContain('codec "lines"');
    expect(error.message).toContain('known: json, raw');
  });

  it('refuses an unknown codec on save before writing anything', async () => {
    const { store, storage } = storeOver();
    const error = await rejection(store.save({ run: testRun, step: 's', state: 1, codec: 'nope' }));
    expect(error.code).toBe('UNSUPPORTED');
    expect(await keysOf(storage)).toEqual([]);
  });

  it('loads the latest checkpoint of a step, or of a step in one run', async () => {
    const { store, clock } = storeOver();
    const first = await store.save({ run: testRun, step: 'gen', state: 1 });
    await clock.advance(10);
    const second = await store.save({ run: otherRun, step: 'gen', state: 2 });
    await clock.advance(10);
    await store.save({ run: testRun, step: 'other', state: 3 });
    expect((await store.load({ step: 'gen' })).record.id).toBe(second.id);
    expect((await store.load({ step: 'gen', run: testRun })).record.id).toBe(first.id);
    expect((await store.load({ step: 'gen', run: testRun })).state).toBe(1);
  });

  it('says NOT_FOUND when a step has no checkpoint, and for an unknown id', async () => {
    const { store } = storeOver();
    await store.save({ run: testRun, step: 'gen', state: 1 });
    const none = await rejection(store.load({ step: 'gen', run: otherRun }));
    expect(none.code).toBe('NOT_FOUND');
    expect(none.message).toContain(`No committed checkpoint of step "gen" in run "${otherRun}"`);
    const unknown = await rejection(store.load({ id: 'gen/20250810T143022.123Z-aaaaaa' }));
    expect(unknown.code).toBe('NOT_FOUND');
  });

  it('refuses selectors that name nothing and ids that are not checkpoint ids', async () => {
    const { store } = storeOver();
    expect((await rejection(store.load({} as never))).code).toBe('INVALID_OPTIONS');
    expect((await rejection(store.load({ id: 'no-time-id' }))).code).toBe('INVALID_OPTIONS');
    expect((await rejection(store.get('../etc/passwd'))).code).toBe('INVALID_OPTIONS');
    expect((await rejection(store.load({ step: 'bad step' }))).code).toBe('INVALID_OPTIONS');
  });

  it('numbers the checkpoints of a run and step, and a new store goes on from the last one', async () => {
    const storage = createMemoryStorage();
    const { store, clock } = storeOver(storage);
    const sequences: (number | undefined)[] = [];
    for (let index = 0; index < 3; index++) {
      sequences.push((await store.save({ run: testRun, step: 'train', state: index })).sequence);
      await clock.advance(1);
    }
    sequences.push((await store.save({ run: otherRun, step: 'train', state: 0 })).sequence);
    sequences.push((await store.save({ run: testRun, step: 'eval', state: 0 })).sequence);
    expect(sequences).toEqual([1, 2, 3, 1, 1]);

    // A resumed run, in another process: counting goes on.
    const { store: resumed } = storeOver(storage);
    const next = await resumed.save({ run: testRun, step: 'train', state: 4 });
    expect(next.sequence).toBe(4);
  });

  it('a new run does not read the sidecars of runs that began well before it', async () => {
    const memory = createMemoryStorage();
    const { store } = storeOver(memory);
    for (let index = 0; index < 5; index++) {
      await store.save({ run: testRun, step: 'train', state: index });
    }
    const sidecarReads: string[] = [];
    const { store: later, clock: laterClock } = storeOver({
      ...memory,
      get: (key, options) => {
        if (key.endsWith('/checkpoint.yaml')) sidecarReads.push(key);
        return memory.get(key, options);
      },
    });
    // Began at 15:40, an hour and more after the five checkpoints above.
    const lateRun = 'research/20250810T154000.000Z-q1w2e3';
    await laterClock.advance(2 * 60 * 60 * 1000);
    const saved = await later.save({ run: lateRun, step: 'train', state: 'new' });
    expect(saved.sequence).toBe(1);
    expect(sidecarReads).toEqual([]);
    // Its own checkpoints are found again when it resumes.
    expect((await later.latest({ step: 'train', run: lateRun }))?.id).toBe(saved.id);
  });

  it('hands out distinct sequences to concurrent saves of one run and step', async () => {
    const { store } = storeOver();
    const saved = await Promise.all(
      Array.from({ length: 5 }, (_, index) =>
        store.save({ run: testRun, step: 'train', state: index }),
      ),
    );
    expect(saved.map((record) => record.sequence).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});
