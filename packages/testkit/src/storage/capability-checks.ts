import type { Storage, StorageCapabilities } from '@cairn/kernel';
import { maxKeyBytes } from '@cairn/kernel';
import { expect } from 'vitest';
import type { StorageCheck, StorageCheckGroup } from './check-context.js';

const flags = ['conditionalWrites', 'rangedReads', 'sha256', 'atomicPut'] as const;

function expectWellFormed(storage: Storage): void {
  expect(typeof storage.name, 'name is a string').toBe('string');
  expect(storage.name.length, 'name is not empty').toBeGreaterThan(0);
  for (const flag of flags) {
    expect(typeof storage.capabilities[flag], `capabilities.${flag} is a boolean`).toBe('boolean');
  }
  const limit = storage.capabilities.maxKeyBytes;
  if (limit !== undefined) {
    expect(Number.isInteger(limit), 'capabilities.maxKeyBytes is an integer').toBe(true);
    expect(limit, 'capabilities.maxKeyBytes is positive').toBeGreaterThan(0);
    expect(
      limit,
      `capabilities.maxKeyBytes is at most the kernel's ${maxKeyBytes}`,
    ).toBeLessThanOrEqual(maxKeyBytes);
  }
}

/**
 * Checks the storage declares the capabilities its author expects, so a backend that loses
 * one fails loudly instead of silently skipping that capability's checks.
 */
export function expectedCapabilitiesCheck(expected: Partial<StorageCapabilities>): StorageCheck {
  return {
    title: `declares the expected capabilities ${JSON.stringify(expected)}`,
    async run({ storage }) {
      for (const [name, value] of Object.entries(expected)) {
        expect(
          storage.capabilities[name as keyof StorageCapabilities],
          `capabilities.${name}`,
        ).toBe(value);
      }
    },
  };
}

/** The storage describes itself sensibly. */
export const capabilityChecks: StorageCheckGroup = {
  title: 'capabilities',
  checks: [
    {
      title: 'has a name and well-formed capabilities',
      async run({ storage }) {
        expectWellFormed(storage);
      },
    },
  ],
};
