import type { MetadataSource } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import {
  brokenSource,
  memorySourceFixture,
  metadataCheckTitled,
} from '../testing/memory-metadata-source.js';
import { closeChecks } from './close-checks.js';
import { lookupOutcomeChecks } from './lookup-outcome-checks.js';
import { metadataSourceCheckGroups } from './metadata-source-checks.js';
import { repeatabilityChecks } from './repeatability-checks.js';
import { runMetadataSourceCheck } from './run-metadata-source-check.js';
import { secretChecks } from './secret-checks.js';

const foundCheck = metadataCheckTitled(lookupOutcomeChecks, 'well-formed answer');
const allChecks = metadataSourceCheckGroups.flatMap((group) => group.checks);

describe('runMetadataSourceCheck', () => {
  it('has one check per rule of the contract, each with its own title', () => {
    const titles = allChecks.map((check) => check.title);
    expect(new Set(titles).size).toBe(titles.length);
    expect(titles.length).toBe(13);
  });

  it('fails every check for a fixture without found or notFound subjects, saying what is missing', async () => {
    for (const check of allChecks) {
      await expect(
        runMetadataSourceCheck(check, async () => ({ ...memorySourceFixture(), found: [] })),
      ).rejects.toThrow('it gives no found subjects');
      await expect(
        runMetadataSourceCheck(check, async () => ({ ...memorySourceFixture(), notFound: [] })),
      ).rejects.toThrow('it gives no notFound subjects');
    }
  });

  it('fails for more expected answers than found subjects', async () => {
    const fixture = memorySourceFixture();
    await expect(
      runMetadataSourceCheck(foundCheck, async () => ({
        ...fixture,
        expected: [...(fixture.expected ?? []), {}],
      })),
    ).rejects.toThrow('3 expected answers for 2 found subjects');
  });

  it('skips what the fixture does not give, with the reason', async () => {
    const {
      expected: _expected,
      unusable: _unusable,
      secrets: _secrets,
      ...bare
    } = memorySourceFixture();
    const withoutClose: MetadataSource = {
      name: 'bare',
      lookup: (subject) => bare.source.lookup(subject),
    };
    const reasons = new Map<string, string>();
    for (const check of allChecks) {
      const result = await runMetadataSourceCheck(check, async () => ({
        ...bare,
        source: withoutClose,
      }));
      if (result.status === 'skipped') reasons.set(check.title, result.reason);
    }
    expect([...reasons.values()].sort()).toEqual([
      'the fixture gives no expected answers',
      'the fixture gives no unusable subjects',
      'the fixture names no secrets',
      'the source has no close()',
      'the source has no close()',
    ]);
  });

  it('closes the source and destroys the fixture after a passing and after a failing check', async () => {
    for (const check of [foundCheck, metadataCheckTitled(closeChecks, 'twice')]) {
      for (const broken of [false, true]) {
        const events: string[] = [];
        const source = brokenSource((inner) => ({
          lookup: async (subject) => {
            if (broken) throw new Error('broken');
            return inner.lookup(subject);
          },
          close: async () => {
            events.push('close');
            if (broken) throw new Error('broken close');
          },
        }));
        const outcome = runMetadataSourceCheck(check, async () => ({
          ...memorySourceFixture(source),
          destroy: async () => {
            events.push('destroy');
          },
        }));
        if (broken) await expect(outcome).rejects.toThrow('broken');
        else await expect(outcome).resolves.toEqual({ status: 'passed' });
        expect(events.at(-1)).toBe('destroy');
        expect(events).toContain('close');
      }
    }
  });

  it("reports a failing destroy, but never instead of the check's own failure", async () => {
    const failingDestroy = async () => {
      throw new Error('the test server would not stop');
    };
    await expect(
      runMetadataSourceCheck(foundCheck, async () => ({
        ...memorySourceFixture(),
        destroy: failingDestroy,
      })),
    ).rejects.toThrow('the test server would not stop');
    await expect(
      runMetadataSourceCheck(foundCheck, async () => ({
        ...memorySourceFixture(
          brokenSource(() => ({
            name: 'x',
            lookup: async () => ({ status: 'not-found', reason: 'none' }),
          })),
        ),
        destroy: failingDestroy,
      })),
    ).rejects.toThrow('expected status "found"');
  });

  it('accepts a source whose second answer comes from its cache', async () => {
    const cachingSource = () =>
      brokenSource((inner) => {
        const asked = new Set<string>();
        return {
          async lookup(subject) {
            const lookup = await inner.lookup(subject);
            const again = asked.has(subject.payloadKey);
            asked.add(subject.payloadKey);
            if (lookup.status !== 'found' || !again) return lookup;
            const cached = { fetchedAt: '2025-08-10T14:00:00.000Z', reason: 'fresh' } as const;
            return { status: 'found', answer: { ...lookup.answer, cached } };
          },
        };
      });
    for (const check of repeatabilityChecks.checks) {
      await expect(
        runMetadataSourceCheck(check, async () => memorySourceFixture(cachingSource())),
      ).resolves.toEqual({ status: 'passed' });
    }
  });

  it('ignores empty strings among the secrets', async () => {
    await expect(
      runMetadataSourceCheck(metadataCheckTitled(secretChecks, 'secret'), async () => ({
        ...memorySourceFixture(),
        secrets: [''],
      })),
    ).resolves.toEqual({ status: 'skipped', reason: 'the fixture names no secrets' });
  });
});
