import type { LineageGraph } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { createMermaidExporter, mermaidText } from './mermaid-exporter.js';
import { nastyGraph, pipelineGraph, pipelineRuns } from './testing/lineage-graphs.js';
import { parseMermaid } from './testing/mermaid-parser.js';

describe('the Mermaid exporter', () => {
  it('writes a flowchart Mermaid parses, with shapes, classes and edges per kind', async () => {
    const text = createMermaidExporter().export(pipelineGraph, {
      title: 'eval lineage',
      highlight: ['eval-ttrl-on-gsm8k:v1'],
    });
    await expect(parseMermaid(text)).resolves.toMatchObject({ diagramType: 'flowchart-v2' });
    const lines = text.split('\n');
    expect(lines.slice(0, 4)).toEqual(['---', 'title: "eval lineage"', '---', 'flowchart LR']);
    expect(lines).toContain('  a_dataset_gsm8k_v1[("dataset-gsm8k:v1<br>dataset [latest]")]');
    expect(lines).toContain('  a_model_ttrl_v1[["model-ttrl:v1<br>model [best, latest]"]]');
    expect(lines).toContain(
      `  r_eval_20250810T160000_000Z_dddddd(["run ${pipelineRuns.eval}<br>failed"])`,
    );
    expect(lines).toContain('  a_dataset_gsm8k_v1 -->|used| r_sft_20250810T100000_000Z_aaaaaa');
    expect(lines).toContain('  r_sft_20250810T100000_000Z_aaaaaa ==>|produced| a_model_sft_v1');
    expect(lines).toContain('  a_eval_ttrl_on_gsm8k_v1 -.->|derived| a_weekly_report_v1');
    expect(lines).toContain('  class a_eval_ttrl_on_gsm8k_v1 highlight');
    expect(lines).toContain('  class r_eval_20250810T160000_000Z_dddddd run_failed');
    expect(lines.filter((line) => line.startsWith('  classDef '))).toHaveLength(16);
  });

  it('escapes hostile names so the flowchart still parses and ids stay unique', async () => {
    const text = createMermaidExporter().export(nastyGraph);
    await expect(parseMermaid(text)).resolves.toBeTruthy();
    expect(mermaidText('a"b#c<d>&`e\nf\tg')).toBe('a#quot;b#35;c#lt;d#gt;#amp;#96;e f g');
    // Labels hold no raw quote: every label is one quoted string.
    for (const line of text.split('\n').filter((row) => row.includes('<br>'))) {
      expect(line.split('"').length, line).toBe(3);
    }
    // "a-b" and "a_b" sanitise alike: both get a hash, and stay distinct.
    const twins: LineageGraph = {
      nodes: [
        { kind: 'artifact', id: 'a-b:v1', name: 'a-b', version: 1, type: 'model' },
        { kind: 'artifact', id: 'a_b:v1', name: 'a_b', version: 1, type: 'model' },
      ],
      edges: [{ from: 'a-b:v1', to: 'a_b:v1', kind: 'derived' }],
      aliases: [],
    };
    const twinText = createMermaidExporter().export(twins);
    const ids = [...twinText.matchAll(/^ {2}(a_a_b_v1_[0-9a-f]{8})\[/gm)].map((match) => match[1]);
    expect(new Set(ids).size).toBe(2);
    await expect(parseMermaid(twinText)).resolves.toBeTruthy();
  });

  it('is what Mermaid refuses when escaping is skipped (the parser check can fail)', async () => {
    // A quote left inside a quoted label, and a label left unquoted, both break the diagram.
    await expect(parseMermaid('flowchart LR\n  a["x"y"] --> b\n')).rejects.toThrow(/Parse error/);
    await expect(parseMermaid('flowchart LR\n  a[say (hi)] --> b\n')).rejects.toThrow(
      /Parse error/,
    );
  });

  it('gives the same bytes for the same graph in any order, and refuses bad options', () => {
    const exporter = createMermaidExporter({ direction: 'TD', edgeLabels: false });
    const shuffled = {
      ...pipelineGraph,
      nodes: [...pipelineGraph.nodes].reverse(),
      edges: [...pipelineGraph.edges].reverse(),
    };
    expect(exporter.export(shuffled)).toBe(exporter.export(pipelineGraph));
    expect(exporter.export(pipelineGraph)).not.toContain('|used|');
    expect(() => createMermaidExporter({ direction: 'up' } as never)).toThrow(
      /The mermaid exporter's options are not valid: direction: /,
    );
  });
});
