import type { MetadataSource } from '../catalog/metadata-source.js';
import { createHydraSource } from './hydra-source.js';
import { createLegacyPipelineSource } from './legacy-pipeline-source.js';
import { createLightningSource } from './lightning-source.js';
import { createSafetensorsSource } from './safetensors-source.js';

/**
 * The four sources that infer metadata from files beside a checkpoint, most specific first:
 * Lightning (a `.ckpt` in `checkpoints/`), the legacy pipeline layout (a `.pkl` with its master
 * file), Hydra (any payload below a `.hydra/` run folder: the config and the run are worth more
 * than tensor counts), then the safetensors header. Each answers only for its own kind of file,
 * so the order matters only where kinds overlap (a `model.safetensors` saved by a Hydra job).
 */
export function inferenceSources(): MetadataSource[] {
  return [
    createLightningSource(),
    createLegacyPipelineSource(),
    createHydraSource(),
    createSafetensorsSource(),
  ];
}
