import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChildCommand, tsxWriterCommand } from '@cairn/testkit';
import type { S3StorageDescription } from './s3-storage-description.js';

const testingDirectory = dirname(fileURLToPath(import.meta.url));
const packageDirectory = join(testingDirectory, '..', '..');

/**
 * The `startWriter` of a many-processes test on S3: runs `script`, a child script in this
 * folder (e.g. `s3-shard-writer-child.ts`), on the storage `description` names.
 */
export function s3WriterCommand(
  script: string,
  description: S3StorageDescription,
): (assignment: unknown) => ChildCommand {
  return tsxWriterCommand(join(testingDirectory, script), description, {
    cwd: packageDirectory,
    // Every child would print the SDK's Node-version notice to the stderr a failure shows.
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
}
