import type {
  MetadataAnswer,
  MetadataLookup,
  MetadataSource,
  SourceRun,
} from '../catalog/metadata-source.js';
import type { JsonValue } from '../checkpoints/json-value.js';
import { throwIfAborted } from './indexing-backend.js';
import { isJsonObject, parseYamlToJson } from './json-metadata.js';
import { fileNameOf, folderNameOf, folderOf, parentFolderOf } from './key-paths.js';
import { parseLightningCheckpointName } from './lightning-checkpoint-name.js';
import { metricsAt, parseMetricsCsv } from './lightning-metrics-csv.js';
import { createSmallFileCache, maxCsvBytes, maxYamlBytes } from './small-file.js';

/** The name the Lightning source reports. */
export const lightningSourceName = 'lightning';

/**
 * Infers a PyTorch Lightning checkpoint's metadata from the files its loggers left beside it,
 * never from the `.ckpt` itself. For `<logger>/<version>/checkpoints/epoch=3-step=1200.ckpt`:
 *
 * - epoch, step and any other `name=value` metric from the file name (`-v1` suffixes and
 *   `last.ckpt` understood);
 * - `<version>/hparams.yaml` → `metadata.hparams`;
 * - `<version>/metrics.csv` (CSVLogger) → the metrics logged at the checkpoint's step (the last
 *   value of each column over that step's rows, else over its epoch's rows); the file name's
 *   own metrics win;
 * - run: `{ name: <version>, group: <logger> }`.
 *
 * Answers `not-found` for anything but a `.ckpt` in a `checkpoints/` folder, and `unusable`
 * (naming the file) when `hparams.yaml` or `metrics.csv` is malformed or too large.
 */
export function createLightningSource(): MetadataSource {
  const files = createSmallFileCache();
  return {
    name: lightningSourceName,
    async lookup(subject): Promise<MetadataLookup> {
      const { payloadKey, storage, signal } = subject;
      throwIfAborted(signal, `Looking up "${payloadKey}" in the Lightning source`);
      const fileName = fileNameOf(payloadKey);
      if (!fileName.endsWith('.ckpt')) {
        return { status: 'not-found', reason: `"${payloadKey}" is not a Lightning .ckpt file` };
      }
      const checkpointsFolder = folderOf(payloadKey);
      if (folderNameOf(checkpointsFolder) !== 'checkpoints') {
        return {
          status: 'not-found',
          reason: `"${payloadKey}" is not in a Lightning "checkpoints/" folder`,
        };
      }
      const versionFolder = parentFolderOf(checkpointsFolder) ?? '';
      const name = parseLightningCheckpointName(fileName);

      const hparamsKey = `${versionFolder}hparams.yaml`;
      const hparams = await files.read(storage, hparamsKey, maxYamlBytes, parseYamlToJson, signal);
      if (hparams.status === 'unusable') return hparams;
      let hparamsValue: { [key: string]: JsonValue } | undefined;
      if (hparams.status === 'found') {
        if (hparams.value !== null && !isJsonObject(hparams.value)) {
          return {
            status: 'unusable',
            reason: `"${hparamsKey}" is not a mapping of hyper-parameters`,
          };
        }
        hparamsValue = hparams.value ?? {};
      }
      throwIfAborted(signal, `Looking up "${payloadKey}" in the Lightning source`);

      const metricsKey = `${versionFolder}metrics.csv`;
      const table = await files.read(storage, metricsKey, maxCsvBytes, parseMetricsCsv, signal);
      if (table.status === 'unusable') return table;
      let metrics: Record<string, number> = {};
      if (table.status === 'found') {
        const { columns } = table.value;
        if (!columns.includes('step') && !columns.includes('epoch')) {
          return {
            status: 'unusable',
            reason: `"${metricsKey}" has neither a "step" nor an "epoch" column, so its rows cannot be matched to a checkpoint`,
          };
        }
        if (!name.last) {
          metrics = metricsAt(table.value, {
            ...(name.step === undefined ? {} : { step: name.step }),
            ...(name.epoch === undefined ? {} : { epoch: name.epoch }),
          }).metrics;
        }
      }
      const knowsSomething =
        hparams.status === 'found' ||
        table.status === 'found' ||
        name.epoch !== undefined ||
        name.step !== undefined ||
        name.last;
      if (!knowsSomething) {
        return {
          status: 'not-found',
          reason: `no hparams.yaml or metrics.csv in "${versionFolder}" and the name "${fileName}" holds no epoch or step`,
        };
      }
      const versionName = folderNameOf(versionFolder);
      const loggerName = folderNameOf(parentFolderOf(versionFolder) ?? '');
      const run: SourceRun = {
        ...(versionName === undefined ? {} : { name: versionName }),
        ...(loggerName === undefined ? {} : { group: loggerName }),
      };
      const lightning: Record<string, JsonValue> = { checkpoint: fileName };
      if (name.version !== undefined) lightning.nameVersion = name.version;
      if (Object.keys(name.labels).length > 0) lightning.nameParts = { ...name.labels };
      if (name.last) lightning.last = true;
      const answer: MetadataAnswer = {
        metadata: {
          lightning,
          ...(hparamsValue === undefined ? {} : { hparams: hparamsValue }),
        },
        metrics: { ...metrics, ...name.metrics },
        tags: name.last ? ['lightning', 'last'] : ['lightning'],
        ...(Object.keys(run).length === 0 ? {} : { run }),
        ...(name.epoch === undefined ? {} : { epoch: name.epoch }),
        ...(name.step === undefined ? {} : { trainingStep: name.step }),
        origin:
          hparams.status === 'found'
            ? hparamsKey
            : table.status === 'found'
              ? metricsKey
              : payloadKey,
      };
      return { status: 'found', answer };
    },
  };
}
