import type { MetadataAnswer, MetadataLookup, RunState } from '@cairn/kernel';
import { expect } from 'vitest';

/** The run states a source may report (`run.state`), as Cairn's runs know them. */
export const sourceRunStates: readonly RunState[] = [
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'INTERRUPTED',
];

const cacheReasons = ['fresh', 'offline', 'unreachable'];

// A date-time with a time zone, as `new Date().toISOString()` writes it (offsets allowed).
const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** Whether `value` is an ISO 8601 date-time with a time zone, e.g. `2025-08-10T14:30:22.123Z`. */
export function isIsoDateTime(value: unknown): boolean {
  return typeof value === 'string' && isoDateTime.test(value) && !Number.isNaN(Date.parse(value));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)
      ?.constructor?.name;
    return name === undefined || name === 'Object' ? 'an object' : `a ${name}`;
  }
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return `the number ${String(value)}`;
  return `a ${typeof value}`;
}

/**
 * Why `value` would not come back unchanged from `JSON.parse(JSON.stringify(value))`, naming
 * the path of the first offending part (`metadata.optimizer.betas[1]`), or undefined when it
 * would.
 */
export function jsonRoundTripProblem(value: unknown, path: string): string | undefined {
  return walkJson(value, path, new Set());
}

function walkJson(value: unknown, path: string, ancestors: Set<object>): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') {
    return Number.isFinite(value)
      ? undefined
      : `${path} is ${String(value)}, which JSON turns into null`;
  }
  if (typeof value !== 'object') return `${path} is ${kindOf(value)}, which JSON cannot hold`;
  if (ancestors.has(value)) return `${path} refers back to itself (a cycle)`;
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index += 1) {
        if (!(index in value)) return `${path}[${index}] is a hole in a sparse array`;
        const problem = walkJson(value[index], `${path}[${index}]`, ancestors);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    if (!isPlainObject(value)) {
      return `${path} is ${kindOf(value)}, not plain JSON (JSON turns it into something else)`;
    }
    for (const [key, item] of Object.entries(value)) {
      const problem = walkJson(item, `${path}.${key}`, ancestors);
      if (problem !== undefined) return problem;
    }
    return undefined;
  } finally {
    ancestors.delete(value);
  }
}

function stringFieldProblems(
  owner: Record<string, unknown>,
  fields: readonly string[],
  path: string,
): string[] {
  return fields
    .filter((field) => owner[field] !== undefined && typeof owner[field] !== 'string')
    .map((field) => `${path}.${field} is ${kindOf(owner[field])}, not a string`);
}

function countProblem(value: unknown, path: string): string[] {
  if (value === undefined) return [];
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
    ? []
    : [`${path} is ${kindOf(value)}, not a non-negative integer`];
}

function dateTimeProblem(value: unknown, path: string): string[] {
  if (value === undefined || isIsoDateTime(value)) return [];
  return [`${path} is ${kindOf(value)}, not an ISO 8601 date-time like 2025-08-10T14:30:22.123Z`];
}

function runProblems(run: unknown): string[] {
  if (run === undefined) return [];
  if (!isPlainObject(run)) return [`run is ${kindOf(run)}, not an object`];
  const problems = stringFieldProblems(
    run,
    ['id', 'name', 'url', 'group', 'jobType', 'commit'],
    'run',
  );
  if (run.state !== undefined && !sourceRunStates.includes(run.state as RunState)) {
    problems.push(`run.state is ${kindOf(run.state)}, not one of ${sourceRunStates.join(', ')}`);
  }
  problems.push(...dateTimeProblem(run.createdAt, 'run.createdAt'));
  return problems;
}

function cachedProblems(cached: unknown): string[] {
  if (cached === undefined) return [];
  if (!isPlainObject(cached)) return [`cached is ${kindOf(cached)}, not an object`];
  const problems = dateTimeProblem(cached.fetchedAt ?? null, 'cached.fetchedAt');
  if (!cacheReasons.includes(cached.reason as string)) {
    problems.push(
      `cached.reason is ${kindOf(cached.reason)}, not one of ${cacheReasons.join(', ')}`,
    );
  }
  return problems;
}

/**
 * Everything wrong with an answer's shape, one message per problem (empty when it is
 * well-formed): metadata plain JSON, metrics finite numbers, tags strings, dates ISO 8601, run
 * states Cairn knows, epoch and training step non-negative integers.
 */
export function answerProblems(answer: unknown): string[] {
  if (!isPlainObject(answer)) return [`the answer is ${kindOf(answer)}, not an object`];
  const problems: string[] = [];
  if (!isPlainObject(answer.metadata)) {
    problems.push(`metadata is ${kindOf(answer.metadata)}, not a plain object`);
  } else {
    const problem = jsonRoundTripProblem(answer.metadata, 'metadata');
    if (problem !== undefined) problems.push(problem);
  }
  if (!isPlainObject(answer.metrics)) {
    problems.push(`metrics is ${kindOf(answer.metrics)}, not a plain object`);
  } else {
    for (const [name, value] of Object.entries(answer.metrics)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        problems.push(`metrics.${name} is ${kindOf(value)}, not a finite number`);
      }
    }
  }
  if (!Array.isArray(answer.tags)) {
    problems.push(`tags is ${kindOf(answer.tags)}, not an array of strings`);
  } else {
    answer.tags.forEach((tag: unknown, index) => {
      if (typeof tag !== 'string') problems.push(`tags[${index}] is ${kindOf(tag)}, not a string`);
    });
  }
  problems.push(...runProblems(answer.run));
  problems.push(...countProblem(answer.epoch, 'epoch'));
  problems.push(...countProblem(answer.trainingStep, 'trainingStep'));
  problems.push(...dateTimeProblem(answer.createdAt, 'createdAt'));
  if (answer.origin !== undefined && typeof answer.origin !== 'string') {
    problems.push(`origin is ${kindOf(answer.origin)}, not a string`);
  }
  problems.push(...cachedProblems(answer.cached));
  return problems;
}

/** Fails, listing every problem, when `answer` is not a well-formed {@link MetadataAnswer}. */
export function expectWellFormedAnswer(answer: MetadataAnswer, label: string): void {
  const problems = answerProblems(answer);
  if (problems.length > 0) {
    expect.fail(`${label}: the answer is malformed: ${problems.join('; ')}`);
  }
}

/**
 * Fails when `lookup` is not one of the three outcomes, or a `not-found`/`unusable` outcome
 * has no reason. A `found` outcome's answer is checked with {@link expectWellFormedAnswer}.
 */
export function expectWellFormedLookup(lookup: MetadataLookup, label: string): void {
  if (!isPlainObject(lookup)) {
    expect.fail(`${label}: the lookup resolved with ${kindOf(lookup)}, not an outcome object`);
  }
  const status: unknown = lookup.status;
  if (status === 'found') {
    expectWellFormedAnswer((lookup as { answer: MetadataAnswer }).answer, label);
    return;
  }
  if (status !== 'not-found' && status !== 'unusable') {
    expect.fail(
      `${label}: the lookup resolved with status ${kindOf(status)}, not "found", "not-found" or "unusable"`,
    );
  }
  const reason: unknown = (lookup as { reason?: unknown }).reason;
  if (typeof reason !== 'string' || reason.trim() === '') {
    expect.fail(
      `${label}: the "${status}" outcome has reason ${kindOf(reason)}; say why in a non-empty string`,
    );
  }
}
