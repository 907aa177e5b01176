import { CairnError } from '../errors/cairn-error.js';
import type { Coverage } from '../journal/journal-events.js';
import { canonicalJson } from './item-digest.js';

/** A parameter sweep: every combination of the named lists, dealt to items round-robin. */
export interface ParameterGrid {
  /** Parameter names, in the order given. */
  readonly names: readonly string[];
  /** How many combinations there are (the product of the list lengths). */
  readonly size: number;
  /**
   * The parameters of the item at `index`: combination `index % size`, counting like nested
   * loops with the first parameter outermost, so consecutive items get different combinations
   * and every combination gets items before any gets two.
   */
  parametersOf(index: number): Readonly<Record<string, unknown>>;
}

/** The text coverage counts a parameter value under: strings as they are, others as JSON. */
export function parameterValueLabel(value: unknown): string {
  return typeof value === 'string' ? value : canonicalJson(value);
}

function invalidGrid(problem: string, details: Record<string, unknown> = {}): CairnError {
  return new CairnError({
    code: 'INVALID_OPTIONS',
    backend: 'items',
    message: `Invalid map option "grid": ${problem}. A grid names lists of values, e.g. { temperature: [0.2, 0.7], model: ["small", "large"] }.`,
    details: { option: 'grid', ...details },
  });
}

/**
 * Checks a grid and returns its combinations.
 *
 * @throws CairnError `INVALID_OPTIONS` when the grid has no parameters, a list is empty or not
 *   a list, a value cannot be stored as JSON, two values of a list would be counted under the
 *   same label, or there are more combinations than can be numbered.
 */
export function createParameterGrid(grid: Record<string, readonly unknown[]>): ParameterGrid {
  const names = Object.keys(grid);
  if (names.length === 0) throw invalidGrid('it names no parameter; leave it out instead');
  const lists: (readonly unknown[])[] = [];
  let size = 1;
  for (const name of names) {
    const values = grid[name];
    if (!Array.isArray(values) || values.length === 0) {
      throw invalidGrid(`"${name}" must be a non-empty list of values`, { parameter: name });
    }
    const labels = new Set<string>();
    for (const value of values) {
      let label: string;
      try {
        label = parameterValueLabel(value);
      } catch (error) {
        throw invalidGrid(`a value of "${name}" cannot be stored as JSON (${String(error)})`, {
          parameter: name,
        });
      }
      if (labels.has(label)) {
        throw invalidGrid(`"${name}" lists the value ${label} twice`, { parameter: name });
      }
      labels.add(label);
    }
    lists.push(values);
    size *= values.length;
  }
  if (!Number.isSafeInteger(size)) throw invalidGrid(`it has ${size} combinations, too many`);
  return {
    names,
    size,
    parametersOf(index) {
      const parameters: Record<string, unknown> = {};
      let remaining = index % size;
      for (let position = names.length - 1; position >= 0; position -= 1) {
        const values = lists[position] as readonly unknown[];
        parameters[names[position] as string] = values[remaining % values.length];
        remaining = Math.floor(remaining / values.length);
      }
      // Keep the grid's own parameter order in the object (the loop filled it backwards).
      return Object.fromEntries(names.map((name) => [name, parameters[name]]));
    },
  };
}

/** Counts done and failed items per parameter value as items finish. */
export interface CoverageCounter {
  /** Counts one finished item with the parameters it ran with. */
  add(parameters: Readonly<Record<string, unknown>>, status: 'done' | 'failed'): void;
  /** The counts so far, every value of the grid included (zero until an item finishes). */
  snapshot(): Coverage;
}

/** A counter over every value of `grid`, all at zero. */
export function createCoverageCounter(
  grid: Record<string, readonly unknown[]>,
  names: readonly string[],
): CoverageCounter {
  const counts = new Map<string, Map<string, { done: number; failed: number }>>();
  for (const name of names) {
    const perValue = new Map<string, { done: number; failed: number }>();
    for (const value of grid[name] ?? []) {
      perValue.set(parameterValueLabel(value), { done: 0, failed: 0 });
    }
    counts.set(name, perValue);
  }
  return {
    add(parameters, status) {
      for (const [name, value] of Object.entries(parameters)) {
        const count = counts.get(name)?.get(parameterValueLabel(value));
        if (count !== undefined) count[status] += 1;
      }
    },
    snapshot() {
      const coverage: Coverage = {};
      for (const [name, perValue] of counts) {
        coverage[name] = Object.fromEntries(
          [...perValue].map(([label, count]) => [label, { ...count }]),
        );
      }
      return coverage;
    },
  };
}
