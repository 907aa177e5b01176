import { expect } from 'vitest';
import type { MetadataSourceCheckGroup, MetadataSourceFixture } from './metadata-source-check.js';
import { findSecretLeaks, type SecretLeak } from './secret-leaks.js';
import { attemptLookup, subjectsOf } from './subject-lookups.js';

const secretsOf = (fixture: MetadataSourceFixture) =>
  (fixture.secrets ?? []).filter((secret) => secret !== '');

/** Answers, reasons and errors end up in logs, sidecars and terminals: no credential in them. */
export const secretChecks: MetadataSourceCheckGroup = {
  title: 'secrets',
  checks: [
    {
      title: 'never shows a secret in its name, answers, reasons or errors (causes included)',
      skipReason: (fixture) =>
        secretsOf(fixture).length === 0 ? 'the fixture names no secrets' : undefined,
      async run(fixture) {
        const secrets = secretsOf(fixture);
        const { source } = fixture;
        const leaks: Array<SecretLeak & { readonly where: string }> = [];
        const record = (found: readonly SecretLeak[], where: string) =>
          leaks.push(...found.map((leak) => ({ ...leak, where })));
        record(findSecretLeaks(source.name, secrets, 'name'), 'the source');
        const inspect = async (
          subject: Parameters<typeof source.lookup>[0],
          where: string,
        ): Promise<void> => {
          const attempt = await attemptLookup(source, subject);
          record(
            attempt.settled === 'resolved'
              ? findSecretLeaks(attempt.lookup, secrets, 'outcome')
              : findSecretLeaks(attempt.error, secrets, 'error'),
            `the lookup of ${where}`,
          );
        };
        const subjects = subjectsOf(fixture);
        for (const { subject, label } of subjects) await inspect(subject, label);
        for (const { subject, label } of subjects) {
          await inspect(
            { ...subject, signal: AbortSignal.abort() },
            `${label} with an aborted signal`,
          );
        }
        if (typeof source.close === 'function') {
          await source.close();
          for (const { subject, label } of subjects)
            await inspect(subject, `${label} after close()`);
        }
        if (leaks.length > 0) {
          // The secret itself stays out of the report: test reports get shared too.
          const listed = leaks
            .slice(0, 10)
            .map((leak) => `secrets[${leak.secretIndex}] at ${leak.path} of ${leak.where}`);
          expect.fail(
            `the source shows a secret: ${listed.join('; ')}${leaks.length > 10 ? ` and ${leaks.length - 10} more` : ''}`,
          );
        }
      },
    },
  ],
};
