import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { recordingLogger } from '../testing/items-support.js';
import { rejection } from '../testing/rejection.js';
import { checkArtifactName, resolveArtifactNaming } from './artifact-naming.js';
import { createArtifactStore } from './create-artifact-store.js';

const naming = resolveArtifactNaming();

function refusal(name: string, type: string): string {
  try {
    checkArtifactName(naming, name, type);
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
}

describe('artifact naming conventions', () => {
  it('accepts the conventional names of each type', () => {
    const good: [string, string][] = [
      ['dataset-gsm8k', 'dataset'],
      ['model-sft-20250810T143022.123Z-k3f9a2', 'model'],
      ['model-3k9f2a1b', 'model'],
      ['checkpoint_step_1200', 'checkpoint'],
      ['checkpoint_epoch_3', 'checkpoint'],
      ['checkpoint_best', 'checkpoint'],
      ['eval-model-ttrl-on-dataset-gsm8k', 'evaluation'],
      ['train_metrics_42', 'metrics'],
      ['experience_buffer_20250810_143022', 'experience-buffer'],
      ['experience_buffer_20250810T143022Z', 'experience-buffer'],
      ['anything.goes-here', 'config'],
      ['weekly-summary', 'report'],
      ['prompt-v3', 'prompt-template'],
    ];
    for (const [name, type] of good)
      expect(refusal(name, type), `${type} ${name}`).toBe('accepted');
  });

  it('refuses a name that breaks its convention, with the convention and a suggested name', () => {
    expect(refusal('gsm8k', 'dataset')).toBe(
      '[cairn] [artifacts] The dataset artifact name "gsm8k" does not follow the convention dataset-<name>; for example "dataset-gsm8k". Rename it, or relax the rule for this project (artifacts.naming.relax: [dataset] or mode: warn).',
    );
    expect(refusal('sft', 'model')).toContain('model-<run_id>; for example "model-sft"');
    expect(refusal('ckpt-epoch-3', 'checkpoint')).toContain('for example "checkpoint_epoch_3"');
    expect(refusal('checkpoint_1200', 'checkpoint')).toContain(
      'for example "checkpoint_step_1200"',
    );
    expect(refusal('eval-ttrl', 'evaluation')).toContain(
      'eval-<model>-on-<dataset>; for example "eval-ttrl-on-dataset"',
    );
    expect(refusal('metrics-train', 'metrics')).toContain('<stage>_metrics_<id>');
    expect(refusal('buffer', 'experience-buffer')).toMatch(
      /for example "experience_buffer_\d{8}T\d{6}Z"/,
    );
    expect(refusal('has space', 'config')).toContain('names use letters, digits');
    expect(refusal('x', 'Bad Type')).toContain('The artifact type "Bad Type" is not valid');
  });

  it('relaxes, extends, warns or turns off per project', async () => {
    const relaxed = resolveArtifactNaming({ relax: ['dataset'] });
    expect(checkArtifactName(relaxed, 'gsm8k', 'dataset')).toBeUndefined();
    const extended = resolveArtifactNaming({
      rules: [{ type: 'prompt', pattern: 'prompt-[a-z0-9-]+', convention: 'prompt-<name>' }],
    });
    expect(checkArtifactName(extended, 'prompt-math', 'prompt')).toBeUndefined();
    expect(() => checkArtifactName(extended, 'math', 'prompt')).toThrow(
      'does not follow the convention prompt-<name>',
    );
    // The pattern is anchored: a name containing a match is not enough.
    expect(() => checkArtifactName(extended, 'xprompt-mathx!', 'prompt')).toThrow();
    const warned = resolveArtifactNaming({ mode: 'warn' });
    expect(checkArtifactName(warned, 'gsm8k', 'dataset')).toContain('dataset-<name>');
    expect(
      checkArtifactName(resolveArtifactNaming({ mode: 'off' }), 'gsm8k', 'dataset'),
    ).toBeUndefined();
    expect(() =>
      resolveArtifactNaming({ rules: [{ type: 'x', pattern: '(', convention: 'x' }] }),
    ).toThrow('expected a regular expression');
    expect(() => resolveArtifactNaming({ mode: 'strict' } as never)).toThrow('"mode"');

    const { logger, warnings } = recordingLogger();
    const artifacts = createArtifactStore({
      storage: createMemoryStorage(),
      naming: { mode: 'warn' },
      logger,
    });
    expect((await artifacts.log({ name: 'gsm8k', type: 'dataset', value: 1 })).reference).toBe(
      'gsm8k:v1',
    );
    expect(warnings[0]?.message).toContain('dataset-<name>');
    const strict = createArtifactStore({ storage: createMemoryStorage() });
    expect((await rejection(strict.log({ name: 'gsm8k', type: 'dataset', value: 1 }))).code).toBe(
      'INVALID_OPTIONS',
    );
  });
});

describe('suggestions and naming options', () => {
  it('suggests only names the rule accepts, and refuses a relaxed type that has no convention', () => {
    expect(refusal('val_loss_metrics', 'metrics')).toContain('"val_loss_metrics_1"');
    expect(refusal('val_loss_metrics_1', 'metrics')).toBe('accepted');
    const long = refusal('x'.repeat(100), 'dataset');
    expect(long).toContain('does not follow the convention dataset-<name>');
    expect(long).not.toContain('for example');
    expect(() => resolveArtifactNaming({ relax: ['datset'] })).toThrow(
      'names the type "datset", which has no built-in convention',
    );
  });
});
