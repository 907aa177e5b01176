import { z } from 'zod';

/** The `format` of every environment record this version writes and reads. */
export const environmentRecordFormat = 'cairn.environment/v1';

/**
 * How much of the environment a run records:
 * - 0: nothing;
 * - 1: Node version, platform, package versions, git commit and branch, time;
 * - 2: level 1 + git diff (stored as its own blob), untracked files, dirty-tree warning,
 *   OS release, CPU, memory, host name;
 * - 3: level 2 + environment variables, secrets redacted by name and by value shape.
 */
export type EnvironmentLevel = 0 | 1 | 2 | 3;

/** The levels, lowest first. */
export const environmentLevels = [0, 1, 2, 3] as const satisfies readonly EnvironmentLevel[];

const nonNegativeInteger = z.number().int().nonnegative();

/** The Node runtime (level 1). */
export const runtimeFactsSchema = z.object({
  /** `process.version`, e.g. `v20.20.2`. */
  node: z.string(),
  /** The V8 version Node was built with. */
  v8: z.string(),
  /** `process.platform`, e.g. `linux`. */
  platform: z.string(),
  /** `process.arch`, e.g. `x64`. */
  arch: z.string(),
});
/** The Node runtime (level 1). */
export type RuntimeFacts = z.infer<typeof runtimeFactsSchema>;

/** One dependency of the project as declared and as installed (level 1). */
export const packageVersionSchema = z.object({
  /** The package name. */
  name: z.string(),
  /** Which list of `package.json` declares it. */
  type: z.enum(['dependencies', 'devDependencies']),
  /** The range declared in `package.json` (secret-looking parts redacted). */
  range: z.string(),
  /** The version read from `node_modules/<name>/package.json`; absent when not installed. */
  installed: z.string().optional(),
});
/** One dependency of the project as declared and as installed. */
export type PackageVersion = z.infer<typeof packageVersionSchema>;

/** The project whose package versions were recorded (level 1). */
export const projectFactsSchema = z.object({
  /** The directory the capture started from (absolute). */
  directory: z.string(),
  /** The `package.json` found from there walking up (absolute); absent when none exists. */
  manifest: z.string().optional(),
  /** `name` from that `package.json`. */
  name: z.string().optional(),
  /** `version` from that `package.json`. */
  version: z.string().optional(),
});
/** The project whose package versions were recorded. */
export type ProjectFacts = z.infer<typeof projectFactsSchema>;

/** Where the git diff of a run is stored and how to check it (level 2). */
export const gitDiffReferenceSchema = z.object({
  /** The storage key of the diff blob; set by `storeEnvironment`. */
  key: z.string().optional(),
  /** Hex SHA-256 of the stored diff (UTF-8). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Size of the stored diff in bytes. */
  bytes: nonNegativeInteger,
  /** True when git's output was longer than the limit and the diff was cut at a line end. */
  truncated: z.boolean(),
  /** The limit the diff was cut at, in bytes of git's output. */
  limitBytes: nonNegativeInteger,
  /** How many secret-looking values were replaced with `[redacted]` in the diff. */
  redactions: nonNegativeInteger,
});
/** Where the git diff of a run is stored and how to check it. */
export type GitDiffReference = z.infer<typeof gitDiffReferenceSchema>;

/** The git state of the project (level 1, more at level 2). Absent outside a repository. */
export const gitFactsSchema = z.object({
  /** Top-level directory of the working tree. */
  root: z.string(),
  /** `git rev-parse HEAD`; absent in a repository without commits. */
  commit: z.string().optional(),
  /** The checked-out branch; absent when HEAD is detached. */
  branch: z.string().optional(),
  /** Level 2: tracked files differ from HEAD or untracked files exist. */
  dirty: z.boolean().optional(),
  /** Level 2: files git does not track and does not ignore. */
  untrackedFiles: nonNegativeInteger.optional(),
  /** Level 2: the diff against HEAD, when tracked files changed. */
  diff: gitDiffReferenceSchema.optional(),
});
/** The git state of the project. */
export type GitFacts = z.infer<typeof gitFactsSchema>;

/** The machine (level 2). */
export const systemFactsSchema = z.object({
  /** `os.type()`, e.g. `Linux`. */
  osType: z.string(),
  /** `os.release()`, the kernel release. */
  osRelease: z.string(),
  /** `os.version()`, the OS build description. */
  osVersion: z.string(),
  /** `os.hostname()`. */
  hostname: z.string(),
  /** Model of the first CPU, as the OS reports it. */
  cpuModel: z.string(),
  /** Logical CPUs. */
  cpuCount: nonNegativeInteger,
  /** Total memory in bytes. */
  totalMemoryBytes: nonNegativeInteger,
  /** Free memory in bytes when captured. */
  freeMemoryBytes: nonNegativeInteger,
});
/** The machine (level 2). */
export type SystemFacts = z.infer<typeof systemFactsSchema>;

/**
 * An environment record as stored in `runs/<pipeline>/<time id>/environment.yaml`. Every
 * section is optional so a level-1 record has no system facts, no diff and no variables, and
 * a level-0 record says only that nothing was captured.
 */
export const environmentRecordSchema = z.object({
  /** Always {@link environmentRecordFormat}. */
  format: z.literal(environmentRecordFormat),
  /** The level it was captured at. */
  level: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]),
  /** When it was captured (ISO 8601, UTC); absent at level 0. */
  capturedAt: z.iso.datetime().optional(),
  /** Level 1: the Node runtime. */
  runtime: runtimeFactsSchema.optional(),
  /** Level 1: the project whose packages were read. */
  project: projectFactsSchema.optional(),
  /** Level 1: the project's dependencies, sorted by type then name. */
  packages: z.array(packageVersionSchema).optional(),
  /** Level 1: the git state; absent when git is missing or this is not a repository. */
  git: gitFactsSchema.optional(),
  /** Level 2: the machine. */
  system: systemFactsSchema.optional(),
  /** Level 3: every environment variable, secret values replaced with `[redacted]`. */
  variables: z.record(z.string(), z.string()).optional(),
  /** Level 3: names of the variables whose values were redacted (names only, sorted). */
  redactedVariables: z.array(z.string()).optional(),
  /** What the capture could not do or found worth saying (missing git, dirty tree, …). */
  warnings: z.array(z.string()),
});
/** An environment record: what a run ran on. */
export type EnvironmentRecord = z.infer<typeof environmentRecordSchema>;
