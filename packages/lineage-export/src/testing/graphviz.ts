import { spawnSync } from 'node:child_process';

// Graphviz for the tests: render DOT as `dot` would for a user and read back what it drew.
// CI installs Debian's graphviz; where `dot` is missing the tests that need it say so and skip.

/** Whether Graphviz `dot` runs here. */
export const hasGraphviz = spawnSync('dot', ['-V']).status === 0;

/** Why the Graphviz tests skip, when they do. */
export const noGraphvizReason =
  'Graphviz `dot` is not on PATH (apt-get install graphviz): DOT output is not rendered here';

/** `dot -Tsvg` of `dot`: the exit status, the SVG and what Graphviz printed on stderr. */
export function renderSvg(dot: string): { status: number | null; svg: string; errors: string } {
  const result = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
  return { status: result.status, svg: result.stdout, errors: result.stderr };
}

const namedEntities: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

/** XML text decoded: Graphviz writes `-` as `&#45;`, `<` as `&lt;`, `"` as `&quot;`. */
function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, code: string) =>
    code.startsWith('#x')
      ? String.fromCodePoint(Number.parseInt(code.slice(2), 16))
      : code.startsWith('#')
        ? String.fromCodePoint(Number(code.slice(1)))
        : (namedEntities[code] ?? entity),
  );
}

/** Every line of text Graphviz drew, decoded. */
export function drawnText(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map(([, text]) => decodeXml(text ?? ''));
}

/** The label of each node Graphviz drew, its lines joined by line breaks. */
export function drawnNodeLabels(svg: string): string[] {
  return svg
    .split(/(?=<g id="(?:node|edge)\d+" class="(?:node|edge)">)/)
    .filter((part) => part.startsWith('<g id="node'))
    .map((part) => drawnText(part).join('\n'));
}

/**
 * The node labels of `dot` as Graphviz draws them; throws when Graphviz fails or warns, since a
 * warning means it read something other than what was meant.
 */
export function graphvizNodeLabels(dot: string): string[] {
  const { status, svg, errors } = renderSvg(dot);
  if (status !== 0 || errors !== '') throw new Error(`dot -Tsvg exited ${status}: ${errors}`);
  return drawnNodeLabels(svg);
}
