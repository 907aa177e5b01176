import type { GitFacts } from './environment-record.js';
import type { GitOutcome, RunGit } from './run-git.js';

/** Longest output kept from the small git commands (ids, names). */
const smallOutputBytes = 64 * 1024;

/** Longest untracked file listing read; past it the count is a lower bound. */
const untrackedListingBytes = 16 * 1024 * 1024;

/** What {@link readGitFacts} needs. */
export interface GitFactsOptions {
  readonly level: 1 | 2 | 3;
  readonly projectDirectory: string;
  readonly timeoutMs: number;
  readonly maxDiffBytes: number;
  readonly runGit: RunGit;
}

/** The git state of the project, the raw diff (not yet scrubbed) and what went wrong. */
export interface GitReading {
  /** Absent when git is missing, timed out or this is not a repository. */
  readonly facts?: Omit<GitFacts, 'diff'>;
  /** Level 2: `git diff HEAD`, cut at a line end when longer than the limit; not scrubbed. */
  readonly diff?: { readonly text: string; readonly truncated: boolean };
  readonly warnings: string[];
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}

function describeFailure(command: string, outcome: Exclude<GitOutcome, { kind: 'ok' }>): string {
  switch (outcome.kind) {
    case 'missing':
      return 'git is not installed or not on PATH, so no commit is recorded. Install git to record the commit and diff.';
    case 'timeout':
      return `"git ${command}" did not finish in time, so its result is not recorded. Raise gitTimeoutMs if the repository is large.`;
    case 'failed':
      return `"git ${command}" failed (${firstLine(outcome.stderr) || `exit code ${outcome.exitCode}`}), so its result is not recorded.`;
  }
}

/** Cuts git's output back to its last whole line, so a cut diff never ends mid-character. */
function cutAtLastLine(output: Buffer): Buffer {
  const lastNewline = output.lastIndexOf(0x0a);
  return lastNewline < 0 ? output.subarray(0, 0) : output.subarray(0, lastNewline + 1);
}

function decodeDiff(output: Buffer, warnings: string[]): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(output);
  } catch {
    warnings.push(
      'The git diff is not valid UTF-8 (a file in another encoding changed); the invalid bytes were replaced with U+FFFD, so the stored diff may not apply to those files.',
    );
    return output.toString('utf8');
  }
}

/**
 * Reads the commit and branch (level 1), and the diff against HEAD and the untracked files
 * (level 2). Never throws: a missing git, a directory outside any repository or a repository
 * without commits becomes a warning.
 */
export async function readGitFacts(options: GitFactsOptions): Promise<GitReading> {
  const warnings: string[] = [];
  const git = (args: readonly string[], cwd: string, maxOutputBytes = smallOutputBytes) =>
    options.runGit(args, { cwd, timeoutMs: options.timeoutMs, maxOutputBytes });

  const top = await git(['rev-parse', '--show-toplevel'], options.projectDirectory);
  if (top.kind !== 'ok') {
    const outside = top.kind === 'failed' && /not a git repository/i.test(top.stderr);
    warnings.push(
      outside
        ? `${options.projectDirectory} is not inside a git repository, so no commit or diff is recorded. Run from a git checkout to record them.`
        : describeFailure('rev-parse --show-toplevel', top),
    );
    return { warnings };
  }
  const root = top.stdout.toString('utf8').trim();

  const head = await git(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], root);
  const commit = head.kind === 'ok' ? head.stdout.toString('utf8').trim() : undefined;
  if (head.kind === 'failed') {
    warnings.push('The git repository has no commits yet, so no commit is recorded.');
  } else if (head.kind !== 'ok') {
    warnings.push(describeFailure('rev-parse HEAD', head));
  }

  // Exit code 1 means a detached HEAD: not a problem, there is just no branch to record.
  const symbolic = await git(['symbolic-ref', '--short', '--quiet', 'HEAD'], root);
  const branch = symbolic.kind === 'ok' ? symbolic.stdout.toString('utf8').trim() : undefined;
  if (symbolic.kind === 'missing' || symbolic.kind === 'timeout') {
    warnings.push(describeFailure('symbolic-ref HEAD', symbolic));
  }

  const facts: Omit<GitFacts, 'diff'> = {
    root,
    ...(commit ? { commit } : {}),
    ...(branch ? { branch } : {}),
  };
  if (options.level < 2) return { facts, warnings };

  const untracked = await git(
    ['ls-files', '--others', '--exclude-standard', '-z'],
    root,
    untrackedListingBytes,
  );
  let untrackedFiles: number | undefined;
  if (untracked.kind === 'ok') {
    untrackedFiles = untracked.stdout.reduce((count, byte) => (byte === 0 ? count + 1 : count), 0);
    if (untracked.truncated) {
      warnings.push(
        `There are more than ${untrackedFiles} untracked files; only that many were counted.`,
      );
    }
  } else {
    warnings.push(describeFailure('ls-files --others', untracked));
  }

  let diff: GitReading['diff'];
  if (commit !== undefined) {
    // Fixed prefixes and no external diff or textconv: the stored diff applies with
    // `git apply` whatever the user's diff settings; `--binary` keeps binary changes.
    const output = await git(
      [
        'diff',
        'HEAD',
        '--binary',
        '--no-color',
        '--no-ext-diff',
        '--no-textconv',
        '--src-prefix=a/',
        '--dst-prefix=b/',
      ],
      root,
      options.maxDiffBytes,
    );
    if (output.kind === 'ok') {
      const bytes = output.truncated ? cutAtLastLine(output.stdout) : output.stdout;
      if (bytes.length > 0 || output.truncated) {
        diff = { text: decodeDiff(bytes, warnings), truncated: output.truncated };
      }
      if (output.truncated) {
        warnings.push(
          `The git diff is longer than maxDiffBytes (${options.maxDiffBytes} bytes); the stored diff was cut at the last whole line before that, so it does not apply as it is. Raise maxDiffBytes to keep all of it.`,
        );
      }
    } else {
      warnings.push(describeFailure('diff HEAD', output));
    }
  }

  const changedFiles = diff === undefined ? 0 : (diff.text.match(/^diff --git /gm)?.length ?? 0);
  const dirty = diff !== undefined || (untrackedFiles ?? 0) > 0;
  if (dirty) {
    const what = [
      ...(diff === undefined
        ? []
        : [`${changedFiles} changed tracked file${changedFiles === 1 ? '' : 's'}`]),
      ...((untrackedFiles ?? 0) > 0
        ? [`${untrackedFiles} untracked file${untrackedFiles === 1 ? '' : 's'} (not in the diff)`]
        : []),
    ].join(' and ');
    const reproduce =
      commit === undefined
        ? 'There is no commit to reproduce this run from'
        : `Commit ${commit.slice(0, 12)} alone does not reproduce this run`;
    const stored = diff === undefined ? '' : '; the diff of tracked files is stored with it';
    warnings.push(`The git working tree is dirty: ${what}. ${reproduce}${stored}.`);
  }
  return {
    facts: {
      ...facts,
      dirty,
      ...(untrackedFiles === undefined ? {} : { untrackedFiles }),
    },
    ...(diff === undefined ? {} : { diff }),
    warnings,
  };
}
