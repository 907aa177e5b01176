import { describe, expect, it } from 'vitest';
import * as kernel from '../index.js';

describe('the retry module from the kernel root', () => {
  it('exports the public retry API and keeps the internal loop private', () => {
    for (const name of [
      'retry',
      'retryWithFallback',
      'createRetryPolicy',
      'retryPolicyOptionsSchema',
      'retrySettingsSchema',
      'defaultClassify',
      'parseRetryAfter',
      'systemClock',
      'createManualClock',
      'createSequenceRandom',
      'createSeededRandom',
    ]) {
      expect(kernel, name).toHaveProperty(name);
    }
    expect(kernel).not.toHaveProperty('runAttempts');
    expect(kernel).not.toHaveProperty('resolveRetryPolicy');
    expect(kernel).not.toHaveProperty('computeBackoffDelay');
    expect(kernel).not.toHaveProperty('sleepWithTimers');
  });
});
