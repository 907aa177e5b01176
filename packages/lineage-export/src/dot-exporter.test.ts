import { describe, expect, it } from 'vitest';
import { createDotExporter, dotString } from './dot-exporter.js';
import { nastyGraph, pipelineGraph, pipelineRuns } from './testing/lineage-graphs.js';

describe('the DOT exporter', () => {
  it('draws the pipeline: nodes styled by type and run state, edges by kind', () => {
    const dot = createDotExporter().export(pipelineGraph, {
      title: 'eval lineage',
      highlight: ['eval-ttrl-on-gsm8k:v1'],
    });
    const line = (label: string) => dot.split('\n').find((text) => text.includes(label)) ?? '';
    expect(
      dot.startsWith(
        'digraph lineage {\n  charset="UTF-8";\n  rankdir=LR;\n  label="eval lineage";',
      ),
    ).toBe(true);
    expect(line('"dataset-gsm8k:v1\\ndataset [latest]"')).toContain('shape=cylinder');
    expect(line('"model-ttrl:v1\\nmodel [best, latest]"')).toContain('shape=box3d');
    expect(line(`"run ${pipelineRuns.eval}\\nfailed"`)).toContain('fillcolor="#fecaca"');
    expect(line(`"run ${pipelineRuns.sft}\\ncompleted"`)).toContain('fillcolor="#bbf7d0"');
    expect(line('"eval-ttrl-on-gsm8k:v1\\nevaluation"')).toContain('penwidth=3');
    expect(line('"weekly-report:v1\\nreport"')).not.toContain('penwidth');
    // n-numbers follow the sorted ids: dataset-gsm8k:v1 is n1, eval-ttrl-on-gsm8k:v1 n2, …
    expect(dot).toContain('  n1 -> n8 [style=solid, label="used"];');
    expect(dot).toContain('  n2 -> n10 [style=dashed, label="derived"];');
    expect(dot.match(/ -> /g)).toHaveLength(pipelineGraph.edges.length);
    expect(dot.endsWith('}\n')).toBe(true);
  });

  it('escapes labels so any name shows as written', () => {
    expect(dotString('a"b\\c\nd\r\ne\u0001&lt;')).toBe('"a\\"b\\\\c\\nd\\ne &amp;lt;"');
    const dot = createDotExporter({ edgeLabels: false, rankDirection: 'TB' }).export(nastyGraph);
    expect(dot).toContain('rankdir=TB;');
    expect(dot).not.toContain('label="used"');
    expect(dot).toContain('tooltip="quote\\"d:v1"');
    expect(dot).toContain('tooltip="back\\\\slash:v2"');
    // The edge to a node the graph does not describe gets a dashed placeholder.
    expect(dot).toMatch(/label="ghost:v9\\nmissing".*style="dashed"/);
    // Every quote inside a label is escaped: unescaped quotes come in pairs per attribute.
    for (const text of dot.split('\n').filter((row) => row.includes('label='))) {
      expect(text.replace(/\\\\/g, '').replace(/\\"/g, '').split('"').length % 2, text).toBe(1);
    }
  });

  it('gives the same bytes for the same graph in any order, and refuses bad options', () => {
    const shuffled = {
      nodes: [...pipelineGraph.nodes].reverse(),
      edges: [...pipelineGraph.edges].reverse(),
      aliases: pipelineGraph.aliases,
    };
    const exporter = createDotExporter();
    expect(exporter.export(shuffled)).toBe(exporter.export(pipelineGraph));
    expect(() => createDotExporter({ rankDirection: 'UP' } as never)).toThrow(
      /The dot exporter's options are not valid: rankDirection: /,
    );
  });
});
