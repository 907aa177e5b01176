import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CairnError } from '../errors/cairn-error.js';
import type { JournalEntry } from '../journal/journal-events.js';
import { readJournal } from '../journal/journal-reader.js';
import type { Logger } from '../logging/logger.js';
import { definePipeline } from '../pipelines/define-pipeline.js';
import { runAsMain } from '../pipelines/run-as-main.js';
import { readRun } from '../runs/run-status.js';
import { createMemoryStorage, type MemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import {
  allCanaries,
  canaries,
  canaryDatabaseUrl,
  canaryPrivateKeyLines,
} from '../testing/environment-canaries.js';
import { rejection } from '../testing/rejection.js';
import { everyStoredByte } from '../testing/stored-bytes.js';

/**
 * Secrets with no telling shape: only their context (a URL's `key=`, a Bearer header, a
 * JSON field, an API-key header) gives them away. Built from pieces like the shared canaries.
 */
const contextCanaries = {
  queryKey: ['canary', 'query', 'key', '4b2e'].join('-'),
  bearerToken: ['Canary', 'Bearer', 'Token', '7d1c'].join(''),
  clientSecret: ['canary', 'json', 'secret', '8c4f'].join('-'),
  headerKey: ['canary', 'header', 'key', '2a9e'].join('-'),
  signature: ['canary', 'signature', '61f0'].join('-'),
} as const;

const everyCanary = [...allCanaries, ...Object.values(contextCanaries)];

/** Secret-named variables whose values the errors quote verbatim. */
const secretVariables = {
  CAIRN_CANARY_API_KEY: canaries.namedApiKey,
  CAIRN_CANARY_DB_PASSWORD: canaries.namedPassword,
};

/** The error a step throws: canaries in its message, its stack and two causes deep. */
function canaryStepError(): Error {
  const root = new Error(
    `login refused for ${canaries.namedPassword}: {"client_id":"app","client_secret":"${contextCanaries.clientSecret}"}`,
  );
  const cause = new Error(
    `connect to ${canaryDatabaseUrl} failed (token ${canaries.githubToken})`,
    {
      cause: root,
    },
  );
  const error = new Error(
    `GET https://api.example.com/v1/score?key=${contextCanaries.queryKey}&alt=json answered 401 (Authorization: Bearer ${canaries.openAiKey})`,
    { cause },
  );
  // A stack can hold more than the message: a framework may append the request it sent.
  error.stack = [
    error.stack,
    `    request: curl -H "Authorization: Bearer ${contextCanaries.bearerToken}" -d '${canaries.jwt}'`,
    `    with key ${canaries.namedApiKey}`,
    ...canaryPrivateKeyLines.map((line) => `    ${line}`),
  ].join('\n');
  return error;
}

/** The error an item's worker throws, transient so the map retries it once first. */
function canaryItemError(item: number): CairnError {
  return new CairnError({
    code: 'TRANSIENT_IO',
    backend: 'llm',
    message: `item ${item}: X-Api-Key: ${contextCanaries.headerKey} rejected; AWS key ${canaries.awsAccessKeyId}, session ${canaries.highEntropy}, env ${canaries.namedApiKey}`,
  });
}

interface LoggedLine {
  readonly level: string;
  readonly text: string;
}

/**
 * A logger that keeps every line as a JSON logger would write it: bindings, fields and
 * message, errors expanded to their name, message, stack and cause (as pino's serialiser does),
 * so a raw error handed to it would show its secrets here.
 */
function capturingLogger(lines: LoggedLine[], bindings: Record<string, unknown> = {}): Logger {
  const serialise = (value: unknown) =>
    JSON.stringify(value, (_key, field: unknown) =>
      field instanceof Error
        ? { name: field.name, message: field.message, stack: field.stack, cause: field.cause }
        : field,
    );
  const at =
    (level: string) =>
    (fields: object | string, message?: string): void => {
      lines.push({
        level,
        text:
          typeof fields === 'string'
            ? serialise({ ...bindings, msg: fields })
            : serialise({ ...bindings, ...fields, msg: message }),
      });
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => capturingLogger(lines, { ...bindings, ...more }),
  };
}

/** A storage whose error record writes fail with a message quoting a presigned URL. */
function storageRefusingErrorRecords(memory: MemoryStorage): Storage {
  return {
    ...memory,
    put: async (key, body, options) => {
      if (key.includes('/errors/')) {
        throw new CairnError({
          code: 'PERMANENT_IO',
          backend: 'canary',
          message: `PUT https://bucket.example.com/${key}?X-Amz-Signature=${contextCanaries.signature} answered 403`,
        });
      }
      return memory.put(key, body, options);
    },
  };
}

async function journalEvents(storage: Storage, run: string): Promise<JournalEntry['event'][]> {
  const events: JournalEntry['event'][] = [];
  for await (const entry of readJournal(storage, run)) events.push(entry.event);
  return events;
}

function canaryPipeline(name: string) {
  return definePipeline(name)
    .step('gather', async ({ map }) => {
      const result = await map(
        [1, 2, 3],
        async (item) => {
          if (item === 2) return item * 10;
          throw canaryItemError(item);
        },
        { retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1, jitter: 'none' } },
      );
      return { failed: result.failed };
    })
    .step('score', () => {
      throw canaryStepError();
    });
}

describe('errors quoting secrets', () => {
  const previousExitCode = process.exitCode;
  beforeEach(() => {
    Object.assign(process.env, secretVariables);
  });
  afterEach(() => {
    for (const name of Object.keys(secretVariables)) delete process.env[name];
    process.exitCode = previousExitCode;
  });

  it('leave no canary in storage, in the logs or in what runAsMain prints', async () => {
    const memory = createMemoryStorage();
    const lines: LoggedLine[] = [];
    const printed: string[] = [];
    const logger = capturingLogger(lines);
    const print = (line: string) => printed.push(line);

    // One run stores everything; the other cannot store its error record and logs why.
    const stored = await runAsMain(canaryPipeline('canary-stored'), {
      storage: memory,
      environment: 0,
      logger,
      print,
    });
    const logged = await runAsMain(canaryPipeline('canary-logged'), {
      storage: storageRefusingErrorRecords(memory),
      environment: 0,
      logger,
      print,
    });
    expect(stored).toBeUndefined();
    expect(logged).toBeUndefined();

    const bytes = await everyStoredByte(memory);
    for (const [key, content] of bytes) {
      for (const canary of everyCanary) {
        expect(content.includes(canary), `${key} holds the canary ${canary}`).toBe(false);
      }
    }
    for (const line of [...lines.map((logLine) => logLine.text), ...printed]) {
      for (const canary of everyCanary) {
        expect(line.includes(canary), `a log line holds the canary ${canary}`).toBe(false);
      }
    }

    // The scan covered the places the canaries would have been, with the rest kept readable.
    const keys = [...bytes.keys()];
    const errorRecords = keys.filter((key) => key.includes('/errors/'));
    expect(errorRecords).toHaveLength(1);
    const errorRecord = bytes.get(errorRecords[0] ?? '')?.toString('utf8') ?? '';
    expect(errorRecord).toContain('?key=[redacted]&alt=json');
    expect(errorRecord).toContain('Authorization: Bearer [redacted]');
    expect(errorRecord).toContain('connect to postgres://app:[redacted]@db.example.com');
    expect(errorRecord).toContain('"client_secret":"[redacted]"');
    expect(errorRecord).toContain('with key [redacted]');
    const itemRecords = keys.filter((key) => /\/steps\/gather\/items\/.+\.json$/.test(key));
    expect(itemRecords).toHaveLength(6);
    const failedItems = itemRecords
      .map((key) => bytes.get(key)?.toString('utf8') ?? '')
      .filter((content) => content.includes('"status":"failed"'));
    expect(failedItems).toHaveLength(4);
    for (const content of failedItems) {
      expect(content).toContain('X-Api-Key: [redacted] rejected; AWS key [redacted]');
    }
    expect(keys.some((key) => key.includes('/journal/'))).toBe(true);

    for (const pipeline of ['canary-stored', 'canary-logged']) {
      const runKey = keys.find((key) => key.startsWith(`runs/${pipeline}/`)) ?? '';
      const runId = runKey.split('/').slice(1, 3).join('/');
      const record = (await readRun(memory, runId))?.record;
      expect(record?.state).toBe('FAILED');
      expect(record?.error?.message).toContain('Authorization: Bearer [redacted]');
      const events = await journalEvents(memory, runId);
      const types = events.map((event) => event.type);
      expect(types).toContain('retry-scheduled');
      expect(types).toContain('item-failed');
      expect(types).toContain('step-failed');
      expect(types).toContain('run-finished');
      const itemFailed = events.find((event) => event.type === 'item-failed');
      expect(itemFailed?.type === 'item-failed' && itemFailed.error.message).toContain(
        'X-Api-Key: [redacted] rejected',
      );
    }

    const refused = lines.find((line) => line.text.includes('could not be stored'));
    expect(refused?.level).toBe('error');
    expect(refused?.text).toContain('X-Amz-Signature=[redacted]');
    expect(printed.filter((line) => line.includes('Step "score"'))).toHaveLength(2);
    expect(printed.join('\n')).toContain('Authorization: Bearer [redacted]');
  });
  it('leave no canary in the STEP_FAILED error a pipeline run rejects with', async () => {
    const error = await rejection(
      canaryPipeline('canary-thrown').run({ storage: createMemoryStorage(), environment: 0 }),
    );
    expect(error.code).toBe('STEP_FAILED');
    expect(error.message).toContain('Step "score"');
    for (const canary of everyCanary) {
      expect(error.message.includes(canary), `the message holds the canary ${canary}`).toBe(false);
    }
  });
});
