import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import {
  type ConfigProvenance,
  collectLocations,
  describeLocation,
  displayNameOf,
  formatYamlPath,
  inMemoryProvenance,
  parseYamlPath,
} from './config-provenance.js';

describe('YAML paths', () => {
  it.each([
    [['storage', 'options', 'root'], 'storage.options.root'],
    [['exporters', 0, 'use'], 'exporters[0].use'],
    [['options', 'odd key', 'x'], 'options["odd key"].x'],
    [['options', 'my-key'], 'options.my-key'],
    [[], ''],
  ])('formats %j as %s and parses it back', (segments, formatted) => {
    expect(formatYamlPath(segments)).toBe(formatted);
    expect(parseYamlPath(formatted)).toEqual(segments);
  });
});

describe('locations', () => {
  function provenanceOf(text: string): ConfigProvenance {
    const lineCounter = new LineCounter();
    const document = parseDocument(text, { lineCounter });
    return {
      file: '/project/cairn.config.yaml',
      displayName: 'cairn.config.yaml',
      locations: collectLocations(document.contents, lineCounter),
      interpolatedPaths: new Set(),
    };
  }

  it('points at the value, at the key for an empty value, and at the nearest ancestor for a missing path', () => {
    const provenance = provenanceOf(
      'storage:\n  use: fs\n  options:\nlist:\n  - a\n  - &x { b: 1 }\n  - *x\n',
    );
    expect(describeLocation(provenance, ['storage', 'use'])).toBe(
      'cairn.config.yaml:2:8 storage.use',
    );
    expect(describeLocation(provenance, ['storage', 'use'], 'key')).toBe(
      'cairn.config.yaml:2:3 storage.use',
    );
    expect(describeLocation(provenance, ['storage', 'options'])).toBe(
      'cairn.config.yaml:3:3 storage.options',
    );
    expect(describeLocation(provenance, ['storage', 'options', 'root'])).toBe(
      'cairn.config.yaml:3:3 storage.options.root',
    );
    expect(describeLocation(provenance, ['list', 1, 'b'])).toBe('cairn.config.yaml:6:13 list[1].b');
    expect(describeLocation(provenance, ['list', 2, 'b'])).toBe('cairn.config.yaml:7:5 list[2].b');
  });

  it('names no line for a config given in code', () => {
    expect(describeLocation(inMemoryProvenance(), ['storage', 'use'])).toBe(
      '(config given in code) storage.use',
    );
  });

  it('shows the file relative to the project when it is inside, absolute otherwise', () => {
    expect(displayNameOf('/project/cairn.config.yaml', '/project')).toBe('cairn.config.yaml');
    expect(displayNameOf('/elsewhere/ci.yaml', '/project')).toBe('/elsewhere/ci.yaml');
  });
});
