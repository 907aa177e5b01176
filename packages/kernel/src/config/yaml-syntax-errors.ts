import { type CST, type LineCounter, Parser, type YAMLError } from 'yaml';
import type { ConfigPosition } from './config-provenance.js';

/** One YAML syntax error, placed where a person would look for the mistake. */
export interface YamlSyntaxProblem extends ConfigPosition {
  /** yaml's error code (`MISSING_CHAR`, `BAD_INDENT`, …). */
  readonly code: YAMLError['code'];
  /** What is wrong, for people editing the file. */
  readonly reason: string;
  /**
   * Where the parser noticed the problem, when that is not where it is reported: an unclosed
   * `[` or quote is noticed only where the file (or the block) ends.
   */
  readonly noticedAt?: ConfigPosition;
}

// yaml's own wording for some codes speaks to programmers calling the library, not to people
// editing a config file.
const friendlierReasons: Partial<Record<YAMLError['code'], string>> = {
  MULTIPLE_DOCS:
    'the file holds more than one YAML document (a "---" line starts a second one); keep a single document',
  DUPLICATE_KEY: 'this key appears twice in the same mapping; keep only one',
};

type OpenerKind = 'sequence' | 'map' | 'double-quoted' | 'single-quoted';

interface Opener {
  readonly kind: OpenerKind;
  /** Where the `[`, `{` or quote is. */
  readonly offset: number;
  /** For quoted strings: where the string's source ends (where yaml reports a missing quote). */
  readonly sourceEnd: number;
  /** For flow collections: whether the closing bracket is missing. */
  readonly unclosed: boolean;
}

const flowCollectionMessage = /^Flow (sequence|map)\b.*end with a [\]}]$/;

/**
 * Turns yaml's errors into problems with a line and column. yaml reports an unclosed flow
 * collection (`[`, `{`) or quoted string where it gave up looking for the end (often the end
 * of the file); these are reported at the bracket or quote that opened them instead, with the
 * place yaml noticed kept in `noticedAt`.
 */
export function locateYamlSyntaxErrors(
  errors: readonly YAMLError[],
  text: string,
  lineCounter: LineCounter,
): YamlSyntaxProblem[] {
  const positionOf = (offset: number): ConfigPosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  let openers: Opener[] | undefined;
  const used = new Set<Opener>();

  return errors.map((error) => {
    const noticed = positionOf(error.pos[0]);
    const plain = {
      ...noticed,
      code: error.code,
      reason: friendlierReasons[error.code] ?? error.message,
    };
    openers ??= collectOpeners(text);
    const opener = openerOf(error, openers, used);
    if (opener === undefined) return plain;
    used.add(opener);
    const opened = positionOf(opener.offset);
    if (opened.line === noticed.line && opened.column === noticed.column) return plain;
    return {
      ...opened,
      code: error.code,
      reason: reasonFor(opener.kind, error.message, noticed),
      noticedAt: noticed,
    };
  });
}

function openerOf(error: YAMLError, openers: readonly Opener[], used: ReadonlySet<Opener>) {
  const offset = error.pos[0];
  if (error.code === 'MISSING_CHAR' && error.message.startsWith('Missing closing')) {
    const kind: OpenerKind = error.message.includes('"quote') ? 'double-quoted' : 'single-quoted';
    return openers.find((opener) => opener.kind === kind && opener.sourceEnd === offset);
  }
  const flow = flowCollectionMessage.exec(error.message);
  if (flow === null) return undefined;
  const kind: OpenerKind = flow[1] === 'map' ? 'map' : 'sequence';
  // Nested unclosed collections are reported innermost first; the innermost is the one that
  // opened last before the place yaml noticed.
  let found: Opener | undefined;
  for (const opener of openers) {
    if (opener.kind !== kind || !opener.unclosed || used.has(opener) || opener.offset > offset)
      continue;
    if (found === undefined || opener.offset > found.offset) found = opener;
  }
  return found;
}

function reasonFor(kind: OpenerKind, message: string, noticed: ConfigPosition): string {
  const where = `${noticed.line}:${noticed.column}`;
  if (kind === 'double-quoted' || kind === 'single-quoted') {
    const quote = kind === 'double-quoted' ? '"' : "'";
    const escaped = kind === 'double-quoted' ? '\\"' : "''";
    return `${message}: the string starting here runs on to ${where}. End it with ${quote} (write ${escaped} for a quote inside it)`;
  }
  const [bracket, closing, noun] = kind === 'sequence' ? ['[', ']', 'list'] : ['{', '}', 'mapping'];
  const indentation = message.includes('sufficiently indented')
    ? ', and indent every line inside it more than the key it belongs to'
    : '';
  return `"${bracket}" here is not closed (the parser gave up at ${where}): end the ${noun} with "${closing}"${indentation}`;
}

/** The brackets and quotes of the document, read from yaml's concrete syntax tree. */
function collectOpeners(text: string): Opener[] {
  const openers: Opener[] = [];
  const visit = (token: CST.Token | null | undefined): void => {
    if (token === null || token === undefined) return;
    switch (token.type) {
      case 'document':
        visit(token.value);
        break;
      case 'block-map':
      case 'block-seq':
        for (const item of token.items as CST.CollectionItem[]) {
          visit(item.key);
          visit(item.value);
        }
        break;
      case 'flow-collection': {
        const isMap = token.start.source === '{';
        openers.push({
          kind: isMap ? 'map' : 'sequence',
          offset: token.start.offset,
          sourceEnd: -1,
          // The same test yaml makes: the first token after the items must be the bracket.
          unclosed: token.end[0]?.source !== (isMap ? '}' : ']'),
        });
        for (const item of token.items) {
          visit(item.key);
          visit(item.value);
        }
        break;
      }
      case 'double-quoted-scalar':
      case 'single-quoted-scalar':
        openers.push({
          kind: token.type === 'double-quoted-scalar' ? 'double-quoted' : 'single-quoted',
          offset: token.offset,
          sourceEnd: token.offset + token.source.length,
          unclosed: false,
        });
        break;
      default:
        break;
    }
  };
  for (const token of new Parser().parse(text)) visit(token);
  return openers;
}
