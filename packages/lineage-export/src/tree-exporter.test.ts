import { describe, expect, it } from 'vitest';
import { nastyGraph, pipelineGraph, pipelineRuns } from './testing/lineage-graphs.js';
import { createTreeExporter } from './tree-exporter.js';

describe('the tree exporter', () => {
  it('shows where a model came from and what was made from it', () => {
    expect(createTreeExporter().export(pipelineGraph, { highlight: ['model-rft:v1'] })).toBe(
      [
        'model-rft:v1 (model)',
        '├── Parents',
        '│   └── run rft/20250810T120000.000Z-bbbbbb (completed)',
        '│       └── model-sft:v1 (model)',
        '│           └── run sft/20250810T100000.000Z-aaaaaa (completed)',
        '│               └── dataset-gsm8k:v1 (dataset [latest])',
        '└── Children',
        '    └── run ttrl/20250810T140000.000Z-cccccc (completed)',
        '        └── model-ttrl:v1 (model [best, latest])',
        '            └── run eval/20250810T160000.000Z-dddddd (failed)',
        '                └── eval-ttrl-on-gsm8k:v1 (evaluation)',
        '                    └── weekly-report:v1 (report)',
        '',
      ].join('\n'),
    );
  });

  it('stops at a depth with a mark, draws in ASCII, and says when there is nothing', () => {
    const text = createTreeExporter({ depth: 2, ascii: true }).export(pipelineGraph, {
      highlight: ['eval-ttrl-on-gsm8k:v1'],
      title: 'Lineage of the evaluation',
    });
    expect(text.split('\n')).toEqual([
      'Lineage of the evaluation',
      '',
      'eval-ttrl-on-gsm8k:v1 (evaluation)',
      '|-- Parents',
      '|   `-- run eval/20250810T160000.000Z-dddddd (failed)',
      '|       |-- dataset-gsm8k:v1 (dataset [latest])',
      '|       `-- model-ttrl:v1 (model [best, latest]) …',
      '`-- Children',
      '    `-- weekly-report:v1 (report)',
      '',
    ]);
    expect(
      createTreeExporter().export(pipelineGraph, { highlight: ['weekly-report:v1'] }),
    ).toContain('└── Children\n    └── (none)\n');
    expect(createTreeExporter().export({ nodes: [], edges: [], aliases: [] })).toBe(
      '(empty lineage)\n',
    );
    expect(() => createTreeExporter({ depth: 0 })).toThrow(
      /tree exporter's options are not valid: depth/,
    );
  });

  it('with runs inline, shows versions only, each beside the run that produced it', () => {
    const inline = createTreeExporter({ runs: 'inline' });
    expect(inline.export(pipelineGraph, { highlight: ['eval-ttrl-on-gsm8k:v1'] })).toBe(
      [
        'eval-ttrl-on-gsm8k:v1 (evaluation) ← run eval/20250810T160000.000Z-dddddd (failed)',
        '├── Parents',
        '│   ├── dataset-gsm8k:v1 (dataset [latest])',
        '│   └── model-ttrl:v1 (model [best, latest]) ← run ttrl/20250810T140000.000Z-cccccc (completed)',
        '│       └── model-rft:v1 (model) ← run rft/20250810T120000.000Z-bbbbbb (completed)',
        '│           └── model-sft:v1 (model) ← run sft/20250810T100000.000Z-aaaaaa (completed)',
        '│               └── dataset-gsm8k:v1 (dataset [latest]) (shown above)',
        '└── Children',
        '    └── weekly-report:v1 (report)',
        '',
      ].join('\n'),
    );
    // A run that produced nothing is still shown, as a child of what it used; a run drawn
    // around has its inputs as parents and its outputs as children.
    const hostile = inline.export(nastyGraph);
    expect(hostile).toContain('%%comment:v9 (%%comment)\n└── run %%comment/t8 (running)\n');
    expect(hostile).toContain('│   ├── back\\slash:v2 (back\\slash) ↺ cycle');
    const around = inline.export(pipelineGraph, { highlight: [`run:${pipelineRuns.rft}`] });
    expect(around.split('\n').slice(0, 4)).toEqual([
      'run rft/20250810T120000.000Z-bbbbbb (completed)',
      '├── Parents',
      '│   └── model-sft:v1 (model) ← run sft/20250810T100000.000Z-aaaaaa (completed)',
      '│       └── dataset-gsm8k:v1 (dataset [latest])',
    ]);
    expect(around).toContain(
      '└── Children\n    └── model-rft:v1 (model) ← run rft/20250810T120000.000Z-bbbbbb (completed)\n',
    );
  });

  it('marks cycles instead of following them, and writes each node once per tree', () => {
    const text = createTreeExporter().export(nastyGraph);
    expect(text).toContain('back\\slash:v2 (back\\slash) ↺ cycle');
    expect(text).toContain('ghost:v9 (missing)');
    // Control characters never reach the terminal: the name with a line break is one line.
    expect(text).toContain('new line:v3 (new line)');
    expect(text).not.toMatch(/\t/);
    // Every node of the graph appears.
    for (const node of nastyGraph.nodes) {
      const shown = node.kind === 'run' ? `run ${node.run}` : node.id;
      expect(text, shown).toContain(shown.replace(/[\n\t]/g, ' '));
    }
    const forest = createTreeExporter().export(pipelineGraph);
    expect(forest).toContain('run eval/20250810T160000.000Z-dddddd (failed) (shown above)');
  });
});
