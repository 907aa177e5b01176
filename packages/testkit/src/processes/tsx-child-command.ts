import type { ChildCommand } from './released-children.js';

/** Where a {@link tsxChildCommand} child runs and with which environment. */
export interface TsxChildOptions {
  /** Working directory; the parent's when left out. */
  readonly cwd?: string;
  /** Environment; the parent's when left out. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The command that runs a TypeScript `script` in its own Node process through tsx, with
 * `args` after it. The `source` export condition makes the workspace packages it imports load
 * from their TypeScript sources, so a many-processes test needs no build first.
 *
 * @example
 * startWriter: (assignment) =>
 *   tsxChildCommand(childScript, [JSON.stringify(description), JSON.stringify(assignment)], {
 *     cwd: packageDirectory,
 *   }),
 */
export function tsxChildCommand(
  script: string,
  args: readonly string[],
  options: TsxChildOptions = {},
): ChildCommand {
  return {
    command: process.execPath,
    args: ['--conditions=source', '--import', 'tsx', script, ...args],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
  };
}

/**
 * The `startWriter` of {@link runManyVersionWriters} or {@link runShardWriters} for a child
 * script that takes two JSON arguments: the description of the storage to open (an fs root,
 * a bucket and prefix…) and the assignment the harness passes.
 *
 * @example
 * startWriter: tsxWriterCommand(childScript, { root }, { cwd: packageDirectory }),
 */
export function tsxWriterCommand(
  script: string,
  description: unknown,
  options: TsxChildOptions = {},
): (assignment: unknown) => ChildCommand {
  return (assignment) =>
    tsxChildCommand(script, [JSON.stringify(description), JSON.stringify(assignment)], options);
}
