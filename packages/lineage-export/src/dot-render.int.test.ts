import { describe, expect, it } from 'vitest';
import { createDotExporter } from './dot-exporter.js';
import {
  drawnNodeLabels,
  drawnText,
  hasGraphviz,
  noGraphvizReason,
  renderSvg,
} from './testing/graphviz.js';
import { nastyGraph, nastyNames, pipelineGraph } from './testing/lineage-graphs.js';

// Also said once in the default reporter, which shows skips without their reason.
if (!hasGraphviz) console.warn(noGraphvizReason);

describe('DOT rendered by Graphviz', () => {
  it('is rendered here (CI installs graphviz)', (context) => {
    // One visible skip with the reason, rather than a suite that passes having checked nothing.
    if (!hasGraphviz) context.skip(noGraphvizReason);
    expect(renderSvg('digraph { a -> b }').status).toBe(0);
  });

  it('renders the pipeline to SVG with every label', (context) => {
    if (!hasGraphviz) context.skip(noGraphvizReason);
    const { status, svg, errors } = renderSvg(createDotExporter().export(pipelineGraph));
    expect(errors).toBe('');
    expect(status).toBe(0);
    expect(svg).toContain('<svg');
    const drawn = drawnText(svg);
    for (const node of pipelineGraph.nodes) {
      expect(drawn).toContain(node.kind === 'run' ? `run ${node.run}` : node.id);
    }
    expect(drawnNodeLabels(svg)).toHaveLength(pipelineGraph.nodes.length);
  });

  it('renders a graph of hostile names, a cycle and a missing node without a warning', (context) => {
    if (!hasGraphviz) context.skip(noGraphvizReason);
    const { status, svg, errors } = renderSvg(
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
