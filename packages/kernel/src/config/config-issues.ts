import { CairnError, type CairnErrorCode } from '../errors/cairn-error.js';
import { closestMatch } from './closest-match.js';
import {
  type ConfigProvenance,
  describeLocation,
  describePosition,
  formatYamlPath,
  locate,
  type YamlPathSegments,
} from './config-provenance.js';
import { scrub } from './redact.js';

/**
 * The parts of a zod issue the reports use. Structural, so schemas built with another copy of
 * zod (a plugin's own) are read the same way.
 */
export interface SchemaIssue {
  /** zod's issue code (`invalid_type`, `unrecognized_keys`, …). */
  readonly code: string;
  /** Where in the validated value the issue is. */
  readonly path: readonly PropertyKey[];
  /** zod's explanation of what was expected. */
  readonly message: string;
  /** For `unrecognized_keys`: the keys that are not allowed. */
  readonly keys?: readonly string[];
  /** For `invalid_type`: the expected type. */
  readonly expected?: string;
}

/** One problem, located in the config file; safe to log (no values). */
export interface ConfigIssue {
  /** Full YAML path, e.g. `storage.options.partSize`. */
  readonly yamlPath: string;
  /** Line in the config file, from 1; absent for a config given in code. */
  readonly line?: number;
  /** Column in the config file, from 1; absent for a config given in code. */
  readonly column?: number;
  /** zod's issue code, or `interpolation`/`plugin` for problems found by the loader. */
  readonly code: string;
  /** What was expected, without the received value. */
  readonly message: string;
}

/** How to turn schema issues into located, value-free messages. */
export interface IssueContext {
  /** Where the config came from. */
  readonly provenance: ConfigProvenance;
  /** Where the validated value sits in the config (`['storage', 'options']`), or `[]`. */
  readonly basePath: YamlPathSegments;
  /** The value that was validated, to tell a missing entry from a wrong one. */
  readonly input: unknown;
  /** The schema that was used, to list the known keys when an unknown one is found. */
  readonly schema: unknown;
  /** What the entries are called in messages: `key` for the config, `option` for plugins. */
  readonly noun: 'key' | 'option';
  /** Values that must not appear even if a custom schema message quotes them. */
  readonly secrets: ReadonlySet<string>;
}

/** Shorter received values are left in messages: scrubbing `on` or `1` would garble them. */
const ownValueShortestScrubbed = 4;

/** Turns zod issues into located messages: one per problem, unknown keys with a suggestion. */
export function locateIssues(issues: readonly SchemaIssue[], context: IssueContext): ConfigIssue[] {
  const located: ConfigIssue[] = [];
  const add = (
    segments: YamlPathSegments,
    code: string,
    message: string,
    which: 'value' | 'key',
  ) => {
    const position = locate(context.provenance, segments, which);
    located.push({
      yamlPath: formatYamlPath(segments),
      ...(position ? { line: position.line, column: position.column } : {}),
      code,
      message: scrub(message, context.secrets),
    });
  };

  for (const issue of issues) {
    const segments = [...context.basePath, ...issue.path];
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      const known = knownKeysAt(context.schema, issue.path);
      for (const key of issue.keys) {
        const suggestion = known ? closestMatch(key, known) : undefined;
        let message = `unknown ${context.noun}`;
        if (known?.length === 0) message += `: none are accepted here`;
        else if (known) {
          message += suggestion ? `; did you mean "${suggestion}"?` : '.';
          message += ` Known ${context.noun}s: ${known.join(', ')}`;
        }
        add([...segments, key], issue.code, message, 'key');
      }
      continue;
    }
    if (issue.code === 'invalid_type') {
      const present = valueAt(context.input, issue.path);
      if (!present.found) {
        add(
          segments,
          issue.code,
          `required ${context.noun} is missing (expected ${issue.expected ?? 'a value'})`,
          'value',
        );
        continue;
      }
      if (present.value === null) {
        add(segments, issue.code, `is empty (expected ${issue.expected ?? 'a value'})`, 'value');
        continue;
      }
    }
    // zod's own messages never quote the value, but a plugin's custom message may (`error:
    // (issue) => ...issue.input`); the value this issue is about is scrubbed from it.
    const own = valueAt(context.input, issue.path).value;
    const message =
      typeof own === 'string' && own.length >= ownValueShortestScrubbed
        ? scrub(issue.message, new Set([own]))
        : issue.message;
    add(segments, issue.code, message, 'value');
  }
  return located;
}

/** What the error built by {@link configIssuesError} says around the list of issues. */
export interface ConfigIssuesErrorOptions {
  /** `INVALID_CONFIG` for the config's own schema, `INVALID_OPTIONS` for a plugin's. */
  readonly code: CairnErrorCode;
  /** Where the config came from. */
  readonly provenance: ConfigProvenance;
  /** The problems, at least one. */
  readonly issues: readonly ConfigIssue[];
  /** What was being checked, e.g. `options of storage plugin "s3"`. */
  readonly subject: string;
  /** What to do, one sentence. */
  readonly hint: string;
}

/**
 * One error listing every problem as `file:line:column yaml.path: message`, so a user fixes
 * them all in one pass instead of one per run.
 */
export function configIssuesError(options: ConfigIssuesErrorOptions): CairnError {
  const { provenance, issues } = options;
  const line = (issue: ConfigIssue) =>
    `${describePosition(
      provenance,
      issue.line === undefined || issue.column === undefined
        ? undefined
        : { line: issue.line, column: issue.column },
      issue.yamlPath,
    )}: ${issue.message}`;
  const message =
    issues.length === 1
      ? `${line(issues[0] as ConfigIssue)} (${options.subject}). ${options.hint}`
      : `${provenance.displayName}: ${issues.length} problems in ${options.subject}:\n${issues
          .map((issue) => `  - ${line(issue)}`)
          .join('\n')}\n${options.hint}`;
  return new CairnError({
    code: options.code,
    backend: 'config',
    message,
    details: { file: provenance.file, issues: issues.map((issue) => ({ ...issue })) },
  });
}

/** A single located problem as an error: `file:line:column path: message. hint`. */
export function configProblemError(
  code: CairnErrorCode,
  provenance: ConfigProvenance,
  segments: YamlPathSegments,
  message: string,
  extra: { cause?: unknown; details?: Record<string, unknown>; retryable?: boolean } = {},
): CairnError {
  const position = locate(provenance, segments);
  return new CairnError({
    code,
    backend: 'config',
    message: `${describeLocation(provenance, segments)}: ${message}`,
    ...(extra.cause === undefined ? {} : { cause: extra.cause }),
    ...(extra.retryable === undefined ? {} : { retryable: extra.retryable }),
    details: {
      file: provenance.file,
      yamlPath: formatYamlPath(segments),
      ...(position ? { line: position.line, column: position.column } : {}),
      ...extra.details,
    },
  });
}

function valueAt(
  root: unknown,
  segments: readonly PropertyKey[],
): { found: boolean; value?: unknown } {
  let current: unknown = root;
  for (const segment of segments) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment)) {
      return { found: false };
    }
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return { found: current !== undefined, value: current };
}

interface SchemaDefinition {
  readonly type?: string;
  readonly shape?: Record<string, unknown>;
  readonly innerType?: unknown;
  readonly in?: unknown;
  readonly element?: unknown;
  readonly valueType?: unknown;
}

// Wrappers that do not change which keys an object accepts.
const wrapperTypes = new Set([
  'optional',
  'nullable',
  'default',
  'prefault',
  'readonly',
  'catch',
  'nonoptional',
]);

/**
 * The keys an object schema accepts at `segments`, read from zod 4's public definition
 * (`_zod.def`) so it works with any copy of zod; undefined when it cannot tell.
 */
export function knownKeysAt(
  schema: unknown,
  segments: readonly PropertyKey[],
): string[] | undefined {
  let current = unwrap(schema);
  for (const segment of segments) {
    const definition = definitionOf(current);
    if (definition?.type === 'object' && typeof segment === 'string') {
      current = unwrap(definition.shape?.[segment]);
    } else if (definition?.type === 'array' && typeof segment === 'number') {
      current = unwrap(definition.element);
    } else if (definition?.type === 'record') {
      current = unwrap(definition.valueType);
    } else {
      return undefined;
    }
  }
  const definition = definitionOf(current);
  return definition?.type === 'object' && definition.shape
    ? Object.keys(definition.shape)
    : undefined;
}

function definitionOf(schema: unknown): SchemaDefinition | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const internals = (schema as { _zod?: { def?: SchemaDefinition } })._zod;
  return internals?.def;
}

function unwrap(schema: unknown): unknown {
  let current = schema;
  for (let depth = 0; depth < 16; depth += 1) {
    const definition = definitionOf(current);
    if (definition?.type !== undefined && wrapperTypes.has(definition.type))
      current = definition.innerType;
    else if (definition?.type === 'pipe') current = definition.in;
    else break;
  }
  return current;
}
