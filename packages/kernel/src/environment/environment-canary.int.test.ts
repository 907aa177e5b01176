import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runKeys } from '../naming/layout.js';
import { readAll } from '../storage/body.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import {
  allCanaries,
  canaries,
  canaryDatabaseUrl,
  canaryPrivateKeyLines,
  diffOnlyCanaries,
} from '../testing/environment-canaries.js';
import { initRepository } from '../testing/environment-git.js';
import { everyStoredByte } from '../testing/stored-bytes.js';
import { temporaryProjects } from '../testing/temporary-project.js';
import { captureEnvironment } from './capture-environment.js';
import { storeEnvironment } from './store-environment.js';

const createProject = temporaryProjects('cairn-environment-canary');
const run = 'research/20250810T143022.123Z-k3f9a2';

const kept = {
  HOME: '/home/canary-test',
  PATH: '/usr/local/bin:/usr/bin:/bin:/home/canary-test/.nvm/versions/node/v20.20.2/bin',
  LANG: 'en_US.UTF-8',
};

describe('environment capture at level 3', () => {
  it('stores no canary secret anywhere, from the variables or from the git diff', async () => {
    const directory = await createProject({
      'package.json': JSON.stringify({ name: 'canary-project', version: '1.0.0' }),
      '.env': 'API_KEY=placeholder\n',
      'config.txt': 'nothing yet\n',
    });
    await initRepository(directory);
    // The working tree now holds every canary, under secret names and innocent ones alike.
    await writeFile(
      path.join(directory, '.env'),
      [
        `API_KEY=${canaries.namedApiKey}`,
        `MY_PASSWORD=${canaries.namedPassword}`,
        `FOO=${canaries.awsAccessKeyId}`,
        `BAR=${canaries.jwt}`,
        `BAZ=${canaries.openAiKey}`,
        `DATABASE_URL=${canaryDatabaseUrl}`,
        `QUX=${canaries.githubToken}`,
        `ZAP=${canaries.highEntropy}`,
        // A secret value under an innocent name, found only because the environment has it.
        `CHECK=${canaries.namedPassword}`,
        // Secrets the environment does not hold: only their shape gives them away.
        `LOCAL_KEY=${diffOnlyCanaries.awsAccessKeyId}`,
        `LOCAL_URL=mysql://root:${diffOnlyCanaries.urlPassword}@localhost:3306/app`,
        `LOCAL_MODEL_KEY=${diffOnlyCanaries.openAiKey}`,
        '',
      ].join('\n'),
    );
    await writeFile(path.join(directory, 'config.txt'), `${canaryPrivateKeyLines.join('\n')}\n`);

    const capture = await captureEnvironment({
      level: 3,
      projectDirectory: directory,
      environment: {
        ...kept,
        CAIRN_CANARY_API_KEY: canaries.namedApiKey,
        MY_PASSWORD: canaries.namedPassword,
        FOO: canaries.awsAccessKeyId,
        BAR: canaries.jwt,
        BAZ: canaries.openAiKey,
        DATABASE_URL: canaryDatabaseUrl,
        QUX: canaries.githubToken,
        ZAP: canaries.highEntropy,
        DEPLOY_MATERIAL: canaryPrivateKeyLines.join('\n'),
      },
    });
    const storage = createMemoryStorage();
    await storeEnvironment(storage, run, capture);

    const stored = await everyStoredByte(storage);
    expect([...stored.keys()].sort()).toEqual([runKeys(run).environment, runKeys(run).gitDiff]);
    for (const [key, bytes] of stored) {
      for (const canary of allCanaries) {
        expect(bytes.includes(canary), `${key} holds a canary`).toBe(false);
      }
    }

    // The scan saw the places the canaries would have been: the diff of both files, and the
    // variables, with non-secrets kept as they were.
    const diff = stored.get(runKeys(run).gitDiff)?.toString('utf8') ?? '';
    expect(diff).toContain('+API_KEY=[redacted]');
    expect(diff).toContain('+CHECK=[redacted]');
    expect(diff).toContain('+DATABASE_URL=[redacted]');
    expect(diff).toContain('+LOCAL_KEY=[redacted]');
    expect(diff).toContain('+LOCAL_URL=mysql://root:[redacted]@localhost:3306/app');
    expect(diff).toContain('+LOCAL_MODEL_KEY=[redacted]');
    expect(diff).toContain('+-----BEGIN RSA PRIVATE KEY-----\n+[redacted]\n');
    const record = parse(
      (await readAll((await storage.get(runKeys(run).environment)).body)).toString('utf8'),
    );
    expect(record.variables).toEqual({
      ...kept,
      BAR: '[redacted]',
      BAZ: '[redacted]',
      CAIRN_CANARY_API_KEY: '[redacted]',
      DATABASE_URL: '[redacted]',
      DEPLOY_MATERIAL: '[redacted]',
      FOO: '[redacted]',
      MY_PASSWORD: '[redacted]',
      QUX: '[redacted]',
      ZAP: '[redacted]',
    });
    expect(record.redactedVariables).toEqual([
      'BAR',
      'BAZ',
      'CAIRN_CANARY_API_KEY',
      'DATABASE_URL',
      'DEPLOY_MATERIAL',
      'FOO',
      'MY_PASSWORD',
      'QUX',
      'ZAP',
    ]);
  });
});
