import { silentLogger } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { dotPlugin, mermaidPlugin, openLineagePlugin, plugin, treePlugin } from './plugins.js';
import { pipelineGraph } from './testing/lineage-graphs.js';

const context = { projectDirectory: '.', logger: silentLogger };

describe('the lineage exporter plugin manifests', () => {
  it('are lineage exporters named as cairn.config.yaml uses them, building working exporters', async () => {
    const manifests = [dotPlugin, mermaidPlugin, openLineagePlugin, treePlugin];
    expect(manifests.map((manifest) => `${manifest.kind} ${manifest.name}`)).toEqual([
      'lineage-exporter dot',
      'lineage-exporter mermaid',
      'lineage-exporter openlineage',
      'lineage-exporter tree',
    ]);
    expect(plugin).toBe(treePlugin);
    for (const manifest of manifests) {
      const options = manifest.optionsSchema.parse({});
      const exporter = await manifest.create(options as never, context);
      expect(exporter.name).toBe(manifest.name);
      expect(exporter.export(pipelineGraph).length).toBeGreaterThan(100);
    }
    const openLineage = await openLineagePlugin.create(
      openLineagePlugin.optionsSchema.parse({ namespace: 'team-a' }),
      context,
    );
    expect(openLineage.export(pipelineGraph)).toContain('"namespace":"team-a"');
    expect(dotPlugin.optionsSchema.safeParse({ rankDirection: 'sideways' }).success).toBe(false);
  });
});
