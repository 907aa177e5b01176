import os from 'node:os';
import type { RuntimeFacts, SystemFacts } from './environment-record.js';
import { type RunGit, runGit } from './run-git.js';

/**
 * Where a capture gets its facts. The real ones read the process, the OS and git; tests put
 * in fixed ones to check what each level records without depending on the machine.
 */
export interface EnvironmentProbes {
  /** Runs git; see {@link runGit}. */
  readonly runGit: RunGit;
  /** The Node runtime. */
  readonly runtime: () => RuntimeFacts;
  /** The machine. */
  readonly system: () => SystemFacts;
}

/** The Node runtime this process runs on. */
export function readRuntimeFacts(): RuntimeFacts {
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
  };
}

/** The machine this process runs on. */
export function readSystemFacts(): SystemFacts {
  const cpus = os.cpus();
  return {
    osType: os.type(),
    osRelease: os.release(),
    osVersion: os.version(),
    hostname: os.hostname(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    // Containers may hide /proc/cpuinfo (cpus() is then empty) while still granting CPUs.
    cpuCount: cpus.length > 0 ? cpus.length : os.availableParallelism(),
    totalMemoryBytes: os.totalmem(),
    freeMemoryBytes: os.freemem(),
  };
}

/** The probes of a real capture. */
export const systemProbes: EnvironmentProbes = {
  runGit,
  runtime: readRuntimeFacts,
  system: readSystemFacts,
};
