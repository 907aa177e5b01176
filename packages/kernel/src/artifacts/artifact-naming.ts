import { z } from 'zod';
import { CairnError } from '../errors/cairn-error.js';
import type { ArtifactType } from '../lineage/lineage-graph.js';
import { namePattern } from '../naming/names.js';

/** A naming convention: the names an artifact type must match, and how to say so. */
export interface ArtifactNamingRule {
  /** The pattern a whole name must match. */
  readonly pattern: RegExp;
  /** The convention as people write it, e.g. `dataset-<name>`. */
  readonly convention: string;
  /** A name that follows the convention, built from the one that did not. */
  readonly suggest: (name: string) => string;
}

/** Strips the prefixes of every convention, leaving the part a person chose. */
function core(name: string): string {
  const stripped = name
    .replace(/^(dataset|model|eval|checkpoint|experience_buffer)[-_]/i, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[-_.]+|[-_.]+$/g, '');
  return stripped === '' ? 'name' : stripped;
}

/**
 * The conventions research teams use, per type (W&B and Lightning habits): a name says what it
 * is at a glance in any listing. Types without a rule (config, report, custom) take any valid
 * name.
 */
export const defaultArtifactNamingRules: Readonly<Record<string, ArtifactNamingRule>> = {
  dataset: {
    pattern: /^dataset-[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    convention: 'dataset-<name>',
    suggest: (name) => `dataset-${core(name)}`,
  },
  model: {
    pattern: /^model-[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    convention: 'model-<run_id>',
    suggest: (name) => `model-${core(name)}`,
  },
  checkpoint: {
    pattern: /^checkpoint_(?:(?:step|epoch)_\d+|best)$/,
    convention: 'checkpoint_<step|epoch>_<n> or checkpoint_best',
    suggest: (name) => {
      const number = /(\d+)/.exec(name)?.[1];
      if (number === undefined) return 'checkpoint_best';
      return `checkpoint_${/epoch/i.test(name) ? 'epoch' : 'step'}_${number}`;
    },
  },
  evaluation: {
    pattern: /^eval-[A-Za-z0-9][A-Za-z0-9_.-]*-on-[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    convention: 'eval-<model>-on-<dataset>',
    suggest: (name) => {
      const [model, dataset] = core(name).split(/-on-/);
      return `eval-${model || 'model'}-on-${dataset || 'dataset'}`;
    },
  },
  metrics: {
    pattern: /^[A-Za-z0-9][A-Za-z0-9_-]*?_metrics_[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    convention: '<stage>_metrics_<id>',
    suggest: (name) => {
      const parts = core(name).split(/[-_]?metrics[-_]?/);
      return `${parts[0] || 'train'}_metrics_${parts[1] || '1'}`;
    },
  },
  'experience-buffer': {
    pattern: /^experience_buffer_\d{8}(?:[T_-]?\d{4,6}(?:\.\d+)?Z?)?$/,
    convention: 'experience_buffer_<timestamp> (YYYYMMDD, YYYYMMDD_HHMMSS or YYYYMMDDTHHMMSSZ)',
    suggest: () =>
      `experience_buffer_${new Date()
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z')}`,
  },
};

/** One extra rule a project adds in config: a type (known or custom) and its pattern. */
export const artifactNamingRuleConfigSchema = z
  .object({
    /** The artifact type the rule is for. */
    type: z.string().regex(namePattern, 'expected a type name: letters, digits, "_", "-", "."'),
    /** A regular expression the whole name must match (anchors are added). */
    pattern: z
      .string()
      .min(1)
      .refine((pattern) => {
        try {
          new RegExp(pattern);
          return true;
        } catch {
          return false;
        }
      }, 'expected a regular expression (JavaScript syntax, without slashes)'),
    /** The convention as people write it, shown in errors, e.g. `prompt-<name>`. */
    convention: z.string().min(1),
  })
  .strict();

/**
 * How strictly names are checked: `enforce` (default) refuses a name that breaks its type's
 * convention, `warn` logs and accepts it, `off` checks only that the name is a valid key
 * segment. `rules` adds or replaces conventions per type; `relax` lists types whose built-in
 * convention no longer applies.
 */
export const artifactNamingOptionsSchema = z
  .object({
    mode: z.enum(['enforce', 'warn', 'off']).default('enforce'),
    rules: z.array(artifactNamingRuleConfigSchema).default([]),
    relax: z.array(z.string()).default([]),
  })
  .strict();

/** Naming options as given (every field optional). */
export type ArtifactNamingOptions = z.input<typeof artifactNamingOptionsSchema>;

/** The rules in force after a project's options. */
export interface ArtifactNaming {
  /** How strictly names are checked. */
  readonly mode: 'enforce' | 'warn' | 'off';
  /** The rule per type. */
  readonly rules: ReadonlyMap<string, ArtifactNamingRule>;
}

/**
 * The naming rules in force: the defaults, less the relaxed types, plus a project's own.
 * @throws CairnError `INVALID_OPTIONS` for bad options or a pattern that is not a regular
 *   expression.
 */
export function resolveArtifactNaming(options: ArtifactNamingOptions = {}): ArtifactNaming {
  const parsed = artifactNamingOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: 'artifacts',
      message: `Artifact naming options are not valid at "${issue?.path.join('.') || '(root)'}": ${issue?.message ?? 'unknown problem'}. Expected { mode?: "enforce" | "warn" | "off", rules?: [{ type, pattern, convention }], relax?: [type] }.`,
      cause: parsed.error,
    });
  }
  const rules = new Map(Object.entries(defaultArtifactNamingRules));
  for (const type of parsed.data.relax) {
    if (!rules.has(type)) {
      throw new CairnError({
        code: 'INVALID_OPTIONS',
        backend: 'artifacts',
        message: `Artifact naming "relax" names the type "${type}", which has no built-in convention; the types with one are ${[...rules.keys()].join(', ')}.`,
      });
    }
    rules.delete(type);
  }
  for (const rule of parsed.data.rules) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(`^(?:${rule.pattern})$`);
    } catch (error) {
      throw new CairnError({
        code: 'INVALID_OPTIONS',
        backend: 'artifacts',
        message: `The naming rule for type "${rule.type}" has a pattern that is not a regular expression (${(error as Error).message}); write it as a JavaScript regular expression without slashes, e.g. "prompt-[a-z0-9-]+".`,
        cause: error,
      });
    }
    rules.set(rule.type, { pattern, convention: rule.convention, suggest: () => rule.convention });
  }
  return { mode: parsed.data.mode, rules };
}

/** Why `name` is not a valid artifact name at all (any type), or undefined. */
function keyProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'it is empty or not a string';
  if (name.length > 100) return `it is ${name.length} characters long (at most 100)`;
  if (!namePattern.test(name)) {
    return 'names use letters, digits, "_", "-" and ".", and start with a letter or digit';
  }
  if (name.includes('.cairn-')) return 'it contains ".cairn-", which Cairn reserves';
  return undefined;
}

/**
 * Checks an artifact name against the key rules and its type's convention.
 *
 * @returns a warning to log when the mode is `warn` and the convention is broken.
 * @throws CairnError `INVALID_OPTIONS` saying what is wrong, the convention and a suggested
 *   name.
 */
export function checkArtifactName(
  naming: ArtifactNaming,
  name: string,
  type: ArtifactType,
): string | undefined {
  const problem = keyProblem(name);
  if (problem !== undefined) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: 'artifacts',
      message: `The artifact name ${JSON.stringify(name)} is not valid: ${problem}.`,
      details: { name, type },
    });
  }
  if (!namePattern.test(type)) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: 'artifacts',
      message: `The artifact type ${JSON.stringify(type)} is not valid: use one of dataset, model, checkpoint, evaluation, metrics, experience-buffer, config, report, or a custom type made of letters, digits, "_", "-" and ".".`,
      details: { name, type },
    });
  }
  const rule = naming.rules.get(type);
  if (naming.mode === 'off' || rule === undefined || rule.pattern.test(name)) return undefined;
  // A suggestion is only offered when it would itself be accepted.
  const suggested = rule.suggest(name);
  const suggestion =
    keyProblem(suggested) === undefined && rule.pattern.test(suggested)
      ? suggested
      : rule.convention;
  const message = `The ${type} artifact name "${name}" does not follow the convention ${rule.convention}${suggestion !== rule.convention ? `; for example "${suggestion}"` : ''}. Rename it, or relax the rule for this project (artifacts.naming.relax: [${type}] or mode: warn).`;
  if (naming.mode === 'warn') return message;
  throw new CairnError({
    code: 'INVALID_OPTIONS',
    backend: 'artifacts',
    message,
    details: { name, type, convention: rule.convention, suggestion },
  });
}
