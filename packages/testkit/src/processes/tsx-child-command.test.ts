import { describe, expect, it } from 'vitest';
import { tsxChildCommand, tsxWriterCommand } from './tsx-child-command.js';

describe('tsxChildCommand', () => {
  it('runs the script through tsx in this Node, with the source condition and its arguments', () => {
    expect(tsxChildCommand('/repo/child.ts', ['{"a":1}', 'b'], { cwd: '/repo' })).toEqual({
      command: process.execPath,
      args: ['--conditions=source', '--import', 'tsx', '/repo/child.ts', '{"a":1}', 'b'],
      cwd: '/repo',
    });
  });

  it('passes the environment when given one, and leaves cwd out when not', () => {
    const env = { PATH: '/bin', FLAG: 'true' };
    const command = tsxChildCommand('child.ts', [], { env });
    expect(command.env).toBe(env);
    expect('cwd' in command).toBe(false);
  });
});

describe('tsxWriterCommand', () => {
  it('passes the storage description, then the assignment, as JSON after the script', () => {
    const env = { FLAG: 'true' };
    const startWriter = tsxWriterCommand(
      '/repo/child.ts',
      { root: '/tmp/r' },
      { cwd: '/repo', env },
    );
    expect(startWriter({ rank: 2 })).toEqual({
      command: process.execPath,
      args: [
        '--conditions=source',
        '--import',
        'tsx',
        '/repo/child.ts',
        '{"root":"/tmp/r"}',
        '{"rank":2}',
      ],
      cwd: '/repo',
      env,
    });
  });
});
