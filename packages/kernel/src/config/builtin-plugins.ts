import { memoryStoragePlugin } from '../storage/memory-storage-plugin.js';
import type { PluginKind, PluginManifest } from './plugin.js';

/** An official plugin that `use:` can name by a short name. */
export type BuiltinPlugin =
  /** Shipped inside the kernel. */
  | { readonly kind: PluginKind; readonly manifest: PluginManifest }
  /** Shipped as its own package, installed by the project when it wants it. */
  | {
      readonly kind: PluginKind;
      /** The package to install and import. */
      readonly packageName: string;
      /** The export holding the manifest (`plugin` unless a package ships several). */
      readonly exportName: string;
    };

/**
 * Short names accepted by `use:`. Anything else is taken as a package name or a `./path`.
 * The kernel never imports the plugin packages themselves: they are resolved from the project.
 */
export const builtinPlugins: Readonly<Record<string, BuiltinPlugin>> = {
  memory: { kind: 'storage', manifest: memoryStoragePlugin },
  fs: { kind: 'storage', packageName: '@cairn/storage-fs', exportName: 'plugin' },
  s3: { kind: 'storage', packageName: '@cairn/storage-s3', exportName: 'plugin' },
  wandb: { kind: 'metadata-source', packageName: '@cairn/remote-wandb', exportName: 'plugin' },
  dot: { kind: 'lineage-exporter', packageName: '@cairn/lineage-export', exportName: 'dotPlugin' },
  mermaid: {
    kind: 'lineage-exporter',
    packageName: '@cairn/lineage-export',
    exportName: 'mermaidPlugin',
  },
  openlineage: {
    kind: 'lineage-exporter',
    packageName: '@cairn/lineage-export',
    exportName: 'openLineagePlugin',
  },
};

/** The built-in short name `use` stands for, if any. */
export function builtinPlugin(use: string): BuiltinPlugin | undefined {
  return Object.hasOwn(builtinPlugins, use) ? builtinPlugins[use] : undefined;
}

/** How messages name a plugin kind. */
export const pluginKindLabels: Readonly<Record<PluginKind, string>> = {
  storage: 'storage',
  'metadata-source': 'metadata source',
  'lineage-exporter': 'lineage exporter',
};

/** Where in `cairn.config.yaml` a plugin of each kind goes. */
export const pluginKindSections: Readonly<Record<PluginKind, string>> = {
  storage: 'storage: or backup:',
  'metadata-source': 'metadataSources:',
  'lineage-exporter': 'exporters:',
};
