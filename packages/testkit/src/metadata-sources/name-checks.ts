import { expect } from 'vitest';
import type { MetadataSourceCheckGroup } from './metadata-source-check.js';

/** The short names catalogs report and configs refer to: `wandb`, `lightning`, `sidecar`. */
export const metadataSourceNamePattern = /^[a-z][a-z0-9-]*$/;

/** The source's name: entries report it, so it must be short and stable. */
export const nameChecks: MetadataSourceCheckGroup = {
  title: 'name',
  checks: [
    {
      title: 'has a short kebab-case name (like "wandb" or "lightning")',
      async run({ source }) {
        const name: unknown = source.name;
        if (typeof name !== 'string' || !metadataSourceNamePattern.test(name)) {
          expect.fail(
            `the source's name is ${JSON.stringify(name) ?? String(name)}; it must match ${String(metadataSourceNamePattern)} (lowercase letters, digits and dashes, starting with a letter)`,
          );
        }
      },
    },
  ],
};
