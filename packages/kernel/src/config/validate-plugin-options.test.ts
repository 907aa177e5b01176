import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { rejection } from '../testing/rejection.js';
import { temporaryProjects } from '../testing/temporary-project.js';
import { loadConfig } from './load-config.js';
import { definePlugin } from './plugin.js';
import { validatePluginOptions } from './validate-plugin-options.js';

const projectWith = temporaryProjects('cairn-plugin-options');

const bucketPlugin = definePlugin({
  kind: 'storage',
  name: 'bucket',
  optionsSchema: z
    .object({
      bucket: z.string(),
      partSize: z.number().int().min(5).default(8),
      region: z.enum(['eu', 'us']).optional(),
      retry: z.object({ attempts: z.number() }).strict().optional(),
    })
    .strict(),
  create: () => ({}),
});

async function loaded(yaml: string) {
  const directory = await projectWith({ 'cairn.config.yaml': yaml });
  return loadConfig({ projectDirectory: directory, environment: {} });
}

describe('validatePluginOptions', () => {
  it('returns the parsed options with the schema defaults applied', async () => {
    const { config, provenance } = await loaded(
      'storage:\n  use: bucket\n  options:\n    bucket: b\n',
    );
    const options = await validatePluginOptions(bucketPlugin, config.storage.options, {
      yamlPath: 'storage',
      provenance,
    });
    expect(options).toEqual({ bucket: 'b', partSize: 8 });
  });

  it('reports a type error at the value with the full YAML path and what was expected', async () => {
    const { config, provenance } = await loaded(
      'storage:\n  use: bucket\n  options:\n    bucket: b\n    partSize: large\n',
    );
    const error = await rejection(
      validatePluginOptions(bucketPlugin, config.storage.options, {
        yamlPath: 'storage',
        provenance,
      }),
    );
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toBe(
      '[cairn] [config] cairn.config.yaml:5:15 storage.options.partSize: Invalid input: expected number, received string (options of storage plugin "bucket"). Fix it in cairn.config.yaml; the plugin\'s README lists its options.',
    );
    expect(error.details).toEqual({
      file: provenance.file,
      issues: [
        {
          yamlPath: 'storage.options.partSize',
          line: 5,
          column: 15,
          code: 'invalid_type',
          message: 'Invalid input: expected number, received string',
        },
      ],
    });
  });

  it('reports a missing required option at the options block', async () => {
    const { config, provenance } = await loaded(
      'storage:\n  use: bucket\n  options:\n    partSize: 16\n',
    );
    const error = await rejection(
      validatePluginOptions(bucketPlugin, config.storage.options, {
        yamlPath: 'storage',
        provenance,
      }),
    );
    expect(error.message).toContain(
      'cairn.config.yaml:4:5 storage.options.bucket: required option is missing (expected string)',
    );
  });

  it('reports a missing options block where the plugin is named', async () => {
    const { config, provenance } = await loaded('storage:\n  use: bucket\n');
    const error = await rejection(
      validatePluginOptions(bucketPlugin, config.storage.options, {
        yamlPath: 'storage',
        provenance,
      }),
    );
    expect(error.message).toContain(
      'cairn.config.yaml:2:3 storage.options.bucket: required option is missing',
    );
  });

  it('reports an unknown option at its key, with the closest known option and the list', async () => {
    const { config, provenance } = await loaded(
      'storage:\n  use: bucket\n  options:\n    bucket: b\n    partsize: 16\n',
    );
    const error = await rejection(
      validatePluginOptions(bucketPlugin, config.storage.options, {
        yamlPath: 'storage',
        provenance,
      }),
    );
    expect(error.message).toContain(
      'cairn.config.yaml:5:5 storage.options.partsize: unknown option; did you mean "partSize"? Known options: bucket, partSize, region, retry',
    );
  });

  it('finds the known options of a nested strict object', async () => {
    const { config, provenance } = await loaded(
      'storage:\n  use: bucket\n  options:\n    bucket: b\n    retry:\n      atempts: 2\n',
    );
    const error = await rejection(
      validatePluginOptions(bucketPlugin, config.storage.options, {
        yamlPath: 'storage',
        provenance,
      }),
    );
    expect(error.message).toContain(
      'storage.options.retry.atempts: unknown option; did you mean "attempts"?',
    );
  });

  it('lists every problem at once, each with its own line', async () => {
    const { config, provenance } = await loaded(
      [
        'metadataSources:',
        '  - use: bucket',
        '    options:',
        '      partSize: 2',
        '      region: mars',
        'storage:',
        '  use: memory',
        '',
      ].join('\n'),
    );
    const source = config.metadataSources[0];
    const error = await rejection(
      validatePluginOptions(bucketPlugin, source?.options, {
        yamlPath: 'metadataSources[0]',
        provenance,
      }),
    );
    expect(error.message).toContain(
      'cairn.config.yaml: 3 problems in options of storage plugin "bucket":',
    );
    expect(error.message).toContain(
      '  - cairn.config.yaml:4:7 metadataSources[0].options.bucket: required option is missing (expected string)',
    );
    expect(error.message).toContain(
      '  - cairn.config.yaml:4:17 metadataSources[0].options.partSize: Too small: expected number to be >=5',
    );
    expect(error.message).toContain(
      '  - cairn.config.yaml:5:15 metadataSources[0].options.region: Invalid option: expected one of "eu"|"us"',
    );
    expect(error.message).toContain('Fix them in cairn.config.yaml');
  });

  it('runs async refinements', async () => {
    const checked = definePlugin({
      kind: 'storage',
      name: 'checked',
      optionsSchema: z.object({ bucket: z.string() }).refine(async () => false, {
        message: 'the bucket does not exist',
        path: ['bucket'],
      }),
      create: () => ({}),
    });
    const { config, provenance } = await loaded(
      'storage:\n  use: checked\n  options:\n    bucket: b\n',
    );
    const error = await rejection(
      validatePluginOptions(checked, config.storage.options, { yamlPath: 'storage', provenance }),
    );
    expect(error.message).toContain(
      'cairn.config.yaml:4:13 storage.options.bucket: the bucket does not exist',
    );
  });

  it('reports a schema that throws instead of returning issues', async () => {
    const throwing = definePlugin({
      kind: 'storage',
      name: 'throwing',
      optionsSchema: z.object({}).transform(() => {
        throw new Error('schema exploded');
      }),
      create: () => ({}),
    });
    const error = await rejection(validatePluginOptions(throwing, {}, { yamlPath: 'backup' }));
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toBe(
      '[cairn] [config] (config given in code) backup.options: the options of storage plugin "throwing" could not be checked: its schema threw "schema exploded". Report this to the plugin\'s authors.',
    );
  });

  it('works with a schema that only has safeParse (no async form)', async () => {
    const minimal = definePlugin({
      kind: 'metadata-source',
      name: 'minimal',
      optionsSchema: {
        safeParse: () => ({
          success: false,
          error: { issues: [{ code: 'custom', path: ['x'], message: 'x is wrong' }] },
        }),
      } as unknown as z.ZodType,
      create: () => ({}),
    });
    const error = await rejection(
      validatePluginOptions(minimal, { x: 1 }, { yamlPath: 'metadataSources[2]' }),
    );
    expect(error.message).toContain(
      '(config given in code) metadataSources[2].options.x: x is wrong (options of metadata source plugin "minimal")',
    );
  });
});
