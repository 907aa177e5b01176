// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text whose ${…} Cairn interpolates, not JavaScript templates.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../logging/logger.js';
import { rejection } from '../testing/rejection.js';
import { temporaryProjects } from '../testing/temporary-project.js';
import { loadConfig } from './load-config.js';

const projectWith = temporaryProjects('cairn-load-config');

function load(projectDirectory: string, environment: Record<string, string> = {}) {
  return loadConfig({ projectDirectory, environment });
}

describe('loadConfig: finding the file', () => {
  it('says where it looked and shows a minimal config when there is none', async () => {
    const directory = await projectWith({});
    const error = await rejection(load(directory));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(`[cairn] [config] No cairn.config.yaml in ${directory}`);
    expect(error.message).toContain('cairn.config.yaml and cairn.config.yml');
    expect(error.message).toContain(`Create ${path.join(directory, 'cairn.config.yaml')}`);
    expect(error.message).toContain('storage:\n  use: fs');
  });

  it('reads cairn.config.yml when that is the one present', async () => {
    const directory = await projectWith({ 'cairn.config.yml': 'storage:\n  use: memory\n' });
    const { config, provenance } = await load(directory);
    expect(config.storage.use).toBe('memory');
    expect(provenance.file).toBe(path.join(directory, 'cairn.config.yml'));
    expect(provenance.displayName).toBe('cairn.config.yml');
  });

  it('refuses to guess when both .yaml and .yml exist', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: memory\n',
      'cairn.config.yml': 'storage:\n  use: memory\n',
    });
    const error = await rejection(load(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('Keep one and delete the other');
    expect(error.message).toContain(path.join(directory, 'cairn.config.yml'));
  });

  it('uses an explicit file relative to the project directory', async () => {
    const directory = await projectWith({ 'config/ci.yaml': 'storage:\n  use: memory\n' });
    const { provenance } = await loadConfig({
      projectDirectory: directory,
      file: 'config/ci.yaml',
    });
    expect(provenance.file).toBe(path.join(directory, 'config/ci.yaml'));
    expect(provenance.displayName).toBe(path.join('config', 'ci.yaml'));
  });

  it('names the missing explicit file', async () => {
    const directory = await projectWith({});
    const error = await rejection(loadConfig({ projectDirectory: directory, file: 'nope.yaml' }));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(
      `Config file ${path.join(directory, 'nope.yaml')} does not exist`,
    );
  });

  it('reports a config path that cannot be read as a file', async () => {
    const directory = await projectWith({});
    await mkdir(path.join(directory, 'cairn.config.yaml'));
    const error = await rejection(load(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain(
      `Could not read ${path.join(directory, 'cairn.config.yaml')} (EISDIR)`,
    );
    expect(error.cause).toBeDefined();
  });
});

describe('loadConfig: logging', () => {
  it('logs YAML warnings with their position and the load at debug level, without values', async () => {
    const entries: { level: string; fields: unknown; message?: string }[] = [];
    const capture = (level: string) => (fields: unknown, message?: string) => {
      entries.push({ level, fields, ...(message === undefined ? {} : { message }) });
    };
    const logger: Logger = {
      debug: capture('debug'),
      info: capture('info'),
      warn: capture('warn'),
      error: capture('error'),
      child: () => logger,
    };
    const directory = await projectWith({
      // An unknown %TAG-less directive is a warning, not an error, in the yaml library.
      'cairn.config.yaml': '%FOO bar\n---\nstorage:\n  use: ${PLUGIN}\n',
    });
    await loadConfig({ projectDirectory: directory, environment: { PLUGIN: 'memory' }, logger });
    expect(entries.find((entry) => entry.level === 'warn')).toMatchObject({
      fields: { line: 1, column: 1 },
    });
    expect(entries.find((entry) => entry.level === 'debug')).toMatchObject({
      fields: { interpolated: 1 },
      message: 'cairn config loaded',
    });
    expect(JSON.stringify(entries)).not.toContain('memory');
  });
});
