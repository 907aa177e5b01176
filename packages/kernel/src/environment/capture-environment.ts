import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CairnError } from '../errors/cairn-error.js';
import { sha256Of } from '../storage/body.js';
import {
  type CaptureEnvironmentOptions,
  type ResolvedCaptureOptions,
  resolveCaptureOptions,
} from './capture-environment-options.js';
import { type EnvironmentProbes, systemProbes } from './environment-probes.js';
import {
  type EnvironmentRecord,
  environmentRecordFormat,
  type GitDiffReference,
} from './environment-record.js';
import { readGitFacts } from './git-facts.js';
import { readInstalledPackages } from './installed-packages.js';
import { redactVariables } from './redact-environment-variables.js';
import { scrubGitDiff, scrubText } from './scrub-text.js';

/** What {@link captureEnvironment} found. */
export interface EnvironmentCapture {
  /** The record to store; secrets already redacted. */
  readonly record: EnvironmentRecord;
  /**
   * Level 2 and up, when tracked files differ from HEAD: `git diff HEAD --binary`, scrubbed of
   * secrets, to be stored as its own blob. `record.git.diff` holds its digest and size.
   */
  readonly gitDiff?: string;
  /** Everything worth telling the user (no git, dirty tree, missing packages); also in the record. */
  readonly warnings: string[];
}

async function checkProjectDirectory(directory: string): Promise<void> {
  const facts = await stat(directory).catch(() => undefined);
  if (facts?.isDirectory()) return;
  throw new CairnError({
    code: 'INVALID_OPTIONS',
    backend: 'environment',
    message: `The project directory ${directory} ${facts === undefined ? 'does not exist' : 'is not a directory'}. Pass the folder holding the project's package.json as projectDirectory, or run from it.`,
    details: { projectDirectory: directory },
  });
}

/**
 * {@link captureEnvironment} with the facts read through `probes`. Tests use it to check what
 * each level records on a fixed machine.
 */
export async function captureEnvironmentWith(
  options: CaptureEnvironmentOptions,
  probes: EnvironmentProbes,
): Promise<EnvironmentCapture> {
  const resolved = resolveCaptureOptions(options);
  const { level } = resolved;
  if (level === 0) {
    return { record: { format: environmentRecordFormat, level, warnings: [] }, warnings: [] };
  }
  const projectDirectory = path.resolve(resolved.projectDirectory);
  await checkProjectDirectory(projectDirectory);
  const capturedAt = new Date(resolved.now()).toISOString();
  const [packages, git] = await Promise.all([
    readInstalledPackages(projectDirectory),
    readGitFacts({
      level,
      projectDirectory,
      timeoutMs: resolved.gitTimeoutMs,
      maxDiffBytes: resolved.maxDiffBytes,
      runGit: probes.runGit,
    }),
  ]);
  // Read at every level, recorded only at level 3: the values are what the diff and the
  // warnings are scrubbed of.
  const variables = redactVariables(resolved.environment, { secretNames: resolved.secretNames });
  const warnings = [...packages.warnings, ...git.warnings];

  let gitDiff: string | undefined;
  let diffReference: GitDiffReference | undefined;
  if (git.diff !== undefined) {
    const scrubbed = scrubGitDiff(git.diff.text, variables.secretValues);
    gitDiff = scrubbed.text;
    diffReference = diffReferenceOf(gitDiff, git.diff.truncated, scrubbed.redactions, resolved);
    if (scrubbed.redactions > 0) {
      warnings.push(
        `${scrubbed.redactions} secret-looking value${scrubbed.redactions === 1 ? ' was' : 's were'} replaced with [redacted] in the stored git diff, which may not apply cleanly there.`,
      );
    }
  }

  const safeWarnings = warnings.map((warning) => scrubText(warning, variables.secretValues).text);
  const record: EnvironmentRecord = {
    format: environmentRecordFormat,
    level,
    capturedAt,
    runtime: probes.runtime(),
    project: packages.project,
    packages: packages.packages,
    ...(git.facts === undefined
      ? {}
      : { git: { ...git.facts, ...(diffReference === undefined ? {} : { diff: diffReference }) } }),
    ...(level >= 2 ? { system: probes.system() } : {}),
    ...(level >= 3
      ? { variables: variables.variables, redactedVariables: variables.redacted }
      : {}),
    warnings: safeWarnings,
  };
  return {
    record,
    ...(gitDiff === undefined ? {} : { gitDiff }),
    warnings: [...safeWarnings],
  };
}

function diffReferenceOf(
  diff: string,
  truncated: boolean,
  redactions: number,
  options: ResolvedCaptureOptions,
): GitDiffReference {
  return {
    sha256: sha256Of(diff),
    bytes: Buffer.byteLength(diff, 'utf8'),
    truncated,
    limitBytes: options.maxDiffBytes,
    redactions,
  };
}

/**
 * Records what a run runs on, at one of four levels (see {@link EnvironmentLevel}):
 * 1. the Node version, platform and architecture; the project's `package.json` name and
 *    version and the installed version of each dependency (read from `node_modules`, nearest
 *    first; missing ones are noted); the git commit and branch; the time;
 * 2. level 1 + `git diff HEAD --binary` (returned as `gitDiff`, cut at `maxDiffBytes` with a
 *    note), the number of untracked files, a warning when the tree is dirty, the OS release,
 *    CPU model and count, total and free memory, the host name;
 * 3. level 2 + the environment variables, secret values redacted by name and by shape.
 *
 * Git runs without a shell, in `projectDirectory`, with a timeout; a missing git or a
 * directory outside any repository is a warning, not an error. The diff is scrubbed of the
 * values of redacted variables and of secret-shaped strings at every level it is taken.
 *
 * @throws CairnError `INVALID_OPTIONS` for bad options or a project directory that does not exist.
 */
export function captureEnvironment(
  options: CaptureEnvironmentOptions,
): Promise<EnvironmentCapture> {
  return captureEnvironmentWith(options, systemProbes);
}
