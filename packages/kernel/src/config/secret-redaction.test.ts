// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text whose ${…} Cairn interpolates, not JavaScript templates.
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { type CairnError, isCairnError } from '../errors/cairn-error.js';
import type { Logger } from '../logging/logger.js';
import { rejection } from '../testing/rejection.js';
import { temporaryProjects } from '../testing/temporary-project.js';
import { createFromConfig } from './create-from-config.js';
import { loadConfig } from './load-config.js';

/** The secret every case smuggles in; it must surface nowhere. */
const canary = 'cairn-canary-5f1d2c';
const environment = { VAULT_TOKEN: canary, PLAIN_SETTING: canary };

const createProject = temporaryProjects('cairn-secret-redaction', { linkZod: true });

// A storage plugin whose schema has every kind of check, including custom messages that quote
// the received value, and whose factory can fail with the token in its message.
const vaultPlugin = `import { z } from 'zod';

export const plugin = {
  kind: 'storage',
  name: 'vault',
  secretOptions: ['dsn'],
  optionsSchema: z.object({
    token: z.string().min(1),
    port: z.number().int().optional(),
    mode: z.enum(['fast', 'safe', 'explode', 'explode-endpoint', 'explode-cairn']).default('safe'),
    apiKey: z.string().refine(() => false, { error: (issue) => 'key ' + issue.input + ' is revoked' }).optional(),
    dsn: z.string().refine((value) => value.startsWith('postgres://'), {
      error: (issue) => 'dsn ' + issue.input + ' must start with postgres://',
    }).optional(),
    password: z.string().min(100).optional(),
    bucket: z.string().refine((value) => value.length < 5, {
      error: (issue) => 'bucket ' + issue.input + ' is too long',
    }).optional(),
    label: z.string().optional(),
    endpoint: z.string().refine((value) => value.startsWith('https://ok:'), {
      error: (issue) => 'bad host in ' + String(issue.input).split('@')[0],
    }).optional(),
    region: z.string().transform((value) => {
      if (value.startsWith('bad')) throw new Error('no region ' + value.split('-x')[0]);
      return value;
    }).optional(),
  }).strict(),
  create(options) {
    if (options.mode === 'explode') throw new Error('could not log in with token ' + options.token);
    if (options.mode === 'explode-endpoint') throw new Error('cannot reach ' + options.endpoint.split('@')[0]);
    if (options.mode === 'explode-cairn') {
      const cause = new Error('server said: bad token ' + options.token);
      const error = new Error('[cairn] [vault] login refused', { cause });
      error.code = 'PERMANENT_IO';
      error.retryable = false;
      error.details = { token: options.token };
      error[Symbol.for('@cairn/kernel/error')] = true;
      throw error;
    }
    const fail = () => { throw new Error('not used'); };
    return {
      name: 'vault',
      capabilities: { conditionalWrites: false, rangedReads: false, sha256: false, atomicPut: true },
      put: fail, get: fail, head: fail, list: fail, listPage: fail, delete: fail,
    };
  },
};
`;

function projectWith(config: string): Promise<string> {
  return createProject({ 'plugins/vault.js': vaultPlugin, 'cairn.config.yaml': config });
}

/** A real pino logger at trace level writing to memory, so every log line can be searched. */
function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, sink), lines };
}

/** Everything an error carries: message, stack, enumerable fields, details, the whole cause chain. */
function everythingIn(error: unknown): string {
  const parts: string[] = [inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true })];
  let current: unknown = error;
  for (let depth = 0; depth < 10 && typeof current === 'object' && current !== null; depth += 1) {
    const { message, stack, details } = current as {
      message?: unknown;
      stack?: unknown;
      details?: unknown;
    };
    parts.push(String(message), String(stack), JSON.stringify(current), JSON.stringify(details));
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

async function failureOf(config: string): Promise<{ error: CairnError; logs: string }> {
  const directory = await projectWith(config);
  const { logger, lines } = capturingLogger();
  try {
    const loaded = await loadConfig({ projectDirectory: directory, environment, logger });
    await createFromConfig(loaded, { projectDirectory: directory, logger });
  } catch (error) {
    if (!isCairnError(error)) throw error;
    return { error, logs: lines.join('') };
  }
  throw new Error('expected the config to be refused');
}

const storage = (options: string) => `storage:\n  use: ./plugins/vault.js\n  options:\n${options}`;

describe('secrets never reach errors or logs', () => {
  it.each([
    [
      'an interpolated secret-named option of the wrong type',
      storage('    token: ${VAULT_TOKEN}\n    port: ${VAULT_TOKEN}\n'),
      'INVALID_OPTIONS',
      'storage.options.port: Invalid input: expected number, received string',
    ],
    [
      'an interpolated value that is not one of an enum',
      storage('    token: x\n    mode: ${PLAIN_SETTING}\n'),
      'INVALID_OPTIONS',
      'storage.options.mode: Invalid option: expected one of',
    ],
    [
      'a literal password that is too short',
      storage(`    token: x\n    password: ${canary}\n`),
      'INVALID_OPTIONS',
      'storage.options.password: Too small: expected string to have >=100 characters',
    ],
    [
      'a custom message quoting a secret-named value',
      storage(`    token: x\n    apiKey: ${canary}\n`),
      'INVALID_OPTIONS',
      'storage.options.apiKey: key [redacted] is revoked',
    ],
    [
      'a custom message quoting an option the plugin declared secret',
      storage(`    token: x\n    dsn: ${canary}\n`),
      'INVALID_OPTIONS',
      'storage.options.dsn: dsn [redacted] must start with postgres://',
    ],
    [
      'a custom message quoting a plain literal option',
      storage(`    token: x\n    bucket: ${canary}\n`),
      'INVALID_OPTIONS',
      'storage.options.bucket: bucket [redacted] is too long',
    ],
    [
      'an unknown option holding a secret',
      storage('    token: x\n    tokn: ${VAULT_TOKEN}\n'),
      'INVALID_OPTIONS',
      'storage.options.tokn: unknown option; did you mean "token"?',
    ],
    [
      'a missing option next to an interpolated secret',
      storage('    apiKey: ${VAULT_TOKEN}\n'),
      'INVALID_OPTIONS',
      'storage.options.token: required option is missing (expected string)',
    ],
    [
      'a factory error quoting the token',
      storage('    token: ${VAULT_TOKEN}\n    mode: explode\n'),
      'INVALID_OPTIONS',
      'could not be created: could not log in with token [redacted]. Check its options.',
    ],
    [
      'a Cairn error from the factory with the token in its details and cause',
      storage('    token: ${VAULT_TOKEN}\n    mode: explode-cairn\n'),
      'PERMANENT_IO',
      'could not be created: [cairn] [vault] login refused.',
    ],
    [
      'an interpolated value in the config’s own schema',
      'storage:\n  use: memory\nretry:\n  jitter: ${PLAIN_SETTING}\nlogging:\n  level: ${VAULT_TOKEN}\n',
      'INVALID_CONFIG',
      'retry.jitter: Invalid option: expected one of "full"|"none"|"decorrelated"',
    ],
    [
      'a missing variable in the same value as a secret',
      storage('    token: ${VAULT_TOKEN}-${NOT_SET}\n'),
      'INVALID_CONFIG',
      'storage.options.token: environment variable NOT_SET is not set',
    ],
    [
      'a custom message quoting part of a URL with an interpolated password',
      storage('    token: x\n    endpoint: "https://u:${VAULT_TOKEN}@db"\n'),
      'INVALID_OPTIONS',
      'storage.options.endpoint: bad host in https://u:[redacted]',
    ],
    [
      'a custom message quoting part of a plain value with an interpolated piece',
      storage('    token: x\n    endpoint: "https://${PLAIN_SETTING}.internal@db"\n'),
      'INVALID_OPTIONS',
      'storage.options.endpoint: bad host in https://[redacted].internal',
    ],
    [
      'a factory error quoting part of a URL with an interpolated password',
      storage(
        '    token: x\n    endpoint: "https://ok:${VAULT_TOKEN}@db"\n    mode: explode-endpoint\n',
      ),
      'INVALID_OPTIONS',
      'could not be created: cannot reach https://ok:[redacted]. Check its options.',
    ],
    [
      'a schema that throws quoting part of a value with an interpolated piece',
      storage('    token: x\n    region: "bad-${PLAIN_SETTING}-x"\n'),
      'INVALID_OPTIONS',
      'its schema threw "no region bad-[redacted]"',
    ],
    [
      'a YAML syntax error on the line of a literal secret',
      `storage:\n  use: memory\n  options:\n    password: "${canary}\n`,
      'INVALID_CONFIG',
      'Missing closing "quote',
    ],
  ])('%s', async (_case, config, code, expected) => {
    const { error, logs } = await failureOf(config);
    expect(error.code).toBe(code);
    expect(error.message).toContain(expected);
    expect(everythingIn(error)).not.toContain(canary);
    expect(logs).not.toContain(canary);
  });

  it('withholds a factory error as the cause when it quotes a secret, and says so', async () => {
    const { error } = await failureOf(storage('    token: ${VAULT_TOKEN}\n    mode: explode\n'));
    expect(error.cause).toBeUndefined();
    expect(error.details).toMatchObject({ causeWithheld: true, plugin: 'vault' });
  });

  it('withholds a factory error as the cause when it quotes part of an interpolated value', async () => {
    const { error } = await failureOf(
      storage(
        '    token: x\n    endpoint: "https://ok:${VAULT_TOKEN}@db"\n    mode: explode-endpoint\n',
      ),
    );
    expect(error.cause).toBeUndefined();
    expect(error.details).toMatchObject({ causeWithheld: true });
  });

  it('leaves environment values shorter than four characters in messages', async () => {
    const directory = await projectWith(
      storage('    token: x\n    endpoint: "https://${SHORT}-host@db"\n'),
    );
    const loaded = await loadConfig({ projectDirectory: directory, environment: { SHORT: 'eu' } });
    const error = await rejection(createFromConfig(loaded, { projectDirectory: directory }));
    expect(error.message).toContain('storage.options.endpoint: bad host in https://eu-host');
  });

  it('logs nothing secret while loading and building a valid config with secrets', async () => {
    const directory = await projectWith(
      storage(
        `    token: \${VAULT_TOKEN}\n    label: \${PLAIN_SETTING}\n    dsn: postgres://cairn:${canary}@db\n`,
      ),
    );
    const { logger, lines } = capturingLogger();
    const loaded = await loadConfig({ projectDirectory: directory, environment, logger });
    const plugins = await createFromConfig(loaded, { projectDirectory: directory, logger });
    expect(plugins.storage.name).toBe('vault');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toContain(canary);
    // The provenance is meant to be logged: it holds paths and positions, never values.
    expect(inspect(loaded.provenance, { depth: Number.POSITIVE_INFINITY })).not.toContain(canary);
  });
});
