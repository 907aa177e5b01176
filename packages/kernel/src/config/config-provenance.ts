import path from 'node:path';
import { isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from 'yaml';

/** A position in the config file, 1-based like editors show it. */
export interface ConfigPosition {
  /** Line number, from 1. */
  readonly line: number;
  /** Column number, from 1. */
  readonly column: number;
}

/** Where one YAML path sits in the config file. */
export interface ConfigLocation extends ConfigPosition {
  /** Where the key of this entry is, for entries of a mapping. */
  readonly key?: ConfigPosition;
}

/**
 * Where a loaded config came from, kept so later errors (a plugin's options, a failing
 * factory) can name the file, line and YAML path. Holds no values, so it is safe to log.
 */
export interface ConfigProvenance {
  /** Absolute path of the config file. */
  readonly file: string;
  /** How errors name the file: relative to the project directory when it lies inside it. */
  readonly displayName: string;
  /**
   * YAML path (`storage.options.root`, `exporters[1].use`) to where its value starts (or its
   * key, when the value is empty).
   */
  readonly locations: ReadonlyMap<string, ConfigLocation>;
  /**
   * YAML paths whose values came from `${ENV}` interpolation. They are treated as secrets:
   * never echoed, and scrubbed from messages plugins produce.
   */
  readonly interpolatedPaths: ReadonlySet<string>;
  /**
   * Every value `${ENV}` interpolation put into the config, also those embedded in a longer
   * string (`https://user:${PASSWORD}@host`): secrets scrubbed from messages wherever they
   * appear. A function, not a set, so that logging or inspecting the provenance never prints
   * them. Absent for a config built in code.
   */
  readonly environmentValues?: () => ReadonlySet<string>;
}

/** A YAML path as a list of keys and sequence indexes, as zod reports it. */
export type YamlPathSegments = readonly PropertyKey[];

const plainKey = /^[A-Za-z_$][\w$-]*$/;

/**
 * Formats a YAML path the way errors print it: `storage.options.root`, `exporters[0].use`,
 * `options["odd key"]`.
 */
export function formatYamlPath(segments: YamlPathSegments): string {
  let result = '';
  for (const segment of segments) {
    if (typeof segment === 'number') result += `[${segment}]`;
    else {
      const key = String(segment);
      if (plainKey.test(key)) result += result === '' ? key : `.${key}`;
      else result += `[${JSON.stringify(key)}]`;
    }
  }
  return result;
}

/**
 * Records where every value of a parsed YAML document sits, keyed by formatted YAML path.
 * Aliases are recorded where they appear, not followed: what they point at is recorded at
 * the anchor.
 */
export function collectLocations(
  root: Node | null,
  lineCounter: LineCounter,
): Map<string, ConfigLocation> {
  const locations = new Map<string, ConfigLocation>();
  const positionOf = (offset: number): ConfigPosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  const visit = (node: Node, segments: PropertyKey[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as Node | null;
        const keyValue = isScalar(keyNode) ? keyNode.value : keyNode;
        const childSegments = [...segments, String(keyValue)];
        const keyPosition = keyNode?.range ? positionOf(keyNode.range[0]) : undefined;
        const valueNode = pair.value as Node | null;
        // An empty value (`storage:` and nothing) is a zero-length node after the colon; the
        // key is where a reader looks.
        const valuePosition =
          valueNode?.range && valueNode.range[1] > valueNode.range[0]
            ? positionOf(valueNode.range[0])
            : keyPosition;
        if (valuePosition) {
          locations.set(formatYamlPath(childSegments), {
            ...valuePosition,
            ...(keyPosition ? { key: keyPosition } : {}),
          });
        }
        if (valueNode) visit(valueNode, childSegments);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const itemNode = item as Node | null;
        const childSegments = [...segments, index];
        if (itemNode?.range) {
          locations.set(formatYamlPath(childSegments), positionOf(itemNode.range[0]));
          visit(itemNode, childSegments);
        }
      });
    }
    // Nothing below an alias is recorded: errors below it point at the alias itself.
  };

  if (root) {
    if (root.range) locations.set('', positionOf(root.range[0]));
    visit(root, []);
  }
  return locations;
}

/**
 * Where a YAML path is, falling back to its nearest recorded ancestor: a missing option is
 * reported at the mapping that should hold it. Undefined for configs not read from a file.
 */
export function locate(
  provenance: ConfigProvenance,
  segments: YamlPathSegments,
  which: 'value' | 'key' = 'value',
): ConfigPosition | undefined {
  for (let length = segments.length; length >= 0; length -= 1) {
    const location = provenance.locations.get(formatYamlPath(segments.slice(0, length)));
    if (location) return which === 'key' && location.key ? location.key : location;
  }
  return undefined;
}

/**
 * `cairn.config.yaml:3:8 storage.use`: the prefix of every config message about a path
 * (without the line and column for a config that was not read from a file).
 */
export function describeLocation(
  provenance: ConfigProvenance,
  segments: YamlPathSegments,
  which: 'value' | 'key' = 'value',
): string {
  return describePosition(
    provenance,
    locate(provenance, segments, which),
    formatYamlPath(segments),
  );
}

/** `cairn.config.yaml:3:8 storage.use` from parts already looked up. */
export function describePosition(
  provenance: ConfigProvenance,
  position: ConfigPosition | undefined,
  yamlPath: string,
): string {
  const file = position
    ? `${provenance.displayName}:${position.line}:${position.column}`
    : provenance.displayName;
  return yamlPath === '' ? file : `${file} ${yamlPath}`;
}

/** Provenance for a config built in code rather than read from a file. */
export function inMemoryProvenance(): ConfigProvenance {
  return {
    file: '',
    displayName: '(config given in code)',
    locations: new Map(),
    interpolatedPaths: new Set(),
  };
}

/** How messages name the config file: short when it lies inside the project directory. */
export function displayNameOf(file: string, projectDirectory: string): string {
  const relative = path.relative(projectDirectory, file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative)
    ? file
    : relative;
}

/** Parses a formatted YAML path back into segments (for paths given as strings by callers). */
export function parseYamlPath(yamlPath: string): PropertyKey[] {
  const segments: PropertyKey[] = [];
  const pattern = /([^.[\]]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  for (const match of yamlPath.matchAll(pattern)) {
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else if (match[3] !== undefined) segments.push(JSON.parse(match[3]) as string);
  }
  return segments;
}
