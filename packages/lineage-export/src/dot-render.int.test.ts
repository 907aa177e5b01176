import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createDotExporter } from './dot-exporter.js';
import { nastyGraph, nastyNames, pipelineGraph } from './testing/lineage-graphs.js';

const graphviz = spawnSync('dot', ['-V'], { encoding: 'utf8' });
const hasDot = graphviz.status === 0;
if (!hasDot) {
  // Said out loud, not skipped in silence: CI installs the Debian package graphviz.
  console.warn(
    'Graphviz `dot` is not installed (apt-get install graphviz): DOT rendering is not tested here.',
  );
}

function render(dot: string): { status: number | null; svg: string; errors: string } {
  const result = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
  return { status: result.status, svg: result.stdout, errors: result.stderr };
}

/** The text lines Graphviz drew, entities decoded (it writes `-` as `&#45;`, `<` as `&lt;`). */
function drawnText(svg: string): string[] {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map(([, text]) =>
    (text ?? '').replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, code: string) =>
      code.startsWith('#x')
        ? String.fromCodePoint(Number.parseInt(code.slice(2), 16))
        : code.startsWith('#')
          ? String.fromCodePoint(Number(code.slice(1)))
          : (named[code] ?? entity),
    ),
  );
}

describe.skipIf(!hasDot)('DOT rendered by Graphviz', () => {
  it('renders the pipeline to SVG with every label', () => {
    const { status, svg, errors } = render(createDotExporter().export(pipelineGraph));
    expect(errors).toBe('');
    expect(status).toBe(0);
    expect(svg).toContain('<svg');
    const drawn = drawnText(svg);
    for (const node of pipelineGraph.nodes) {
      expect(drawn).toContain(node.kind === 'run' ? `run ${node.run}` : node.id);
    }
  });

  it('renders a graph of hostile names, a cycle and a missing node without a warning', () => {
    const { status, svg, errors } = render(
      createDotExporter().export(nastyGraph, { title: 'a "title"\nwith a break' }),
    );
    expect(errors).toBe('');
    expect(status).toBe(0);
    const drawn = drawnText(svg);
    for (const [index, name] of nastyNames.entries()) {
      // Graphviz draws each line of a label as its own text; a name with a line break is two,
      // and a tab is drawn as a space.
      for (const part of `${name}:v${index + 1}`.replace(/\t/g, ' ').split('\n')) {
        expect(drawn, JSON.stringify(name)).toContain(part);
      }
    }
    expect(drawn).toContain('ghost:v9');
    expect(drawn).toContain('a "title"');
  });
});
