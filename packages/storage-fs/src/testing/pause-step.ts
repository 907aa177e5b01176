import { type FileSystem, nodeFileSystem } from '../file-system.js';

/** One file-system call held up, so a test can look at the disk at that moment. */
export interface PausedStep {
  /** The real file system, except for the paused call. */
  readonly fileSystem: FileSystem;
  /** Resolves when the call was reached (and, for `after`, has completed). */
  readonly reached: Promise<void>;
  /** Lets the paused call go on. */
  resume(): void;
}

/**
 * Pauses the first call of `name` for which `when(path, secondPath)` holds, before the real
 * call or after it completed, until {@link PausedStep.resume}. Every other call goes through.
 */
export function pauseAt(
  name: keyof FileSystem,
  moment: 'before' | 'after',
  when: (path: string, secondPath: string) => boolean,
): PausedStep {
  let signalReached: () => void = () => {};
  const reached = new Promise<void>((resolve) => {
    signalReached = resolve;
  });
  let resume: () => void = () => {};
  const resumed = new Promise<void>((resolve) => {
    resume = resolve;
  });
  let paused = false;
  const real = nodeFileSystem[name] as (...parameters: unknown[]) => Promise<unknown>;
  const wrapped = async (...parameters: unknown[]) => {
    const matches = !paused && when(String(parameters[0]), String(parameters[1]));
    if (matches) paused = true;
    if (matches && moment === 'before') {
      signalReached();
      await resumed;
    }
    const result = await real(...parameters);
    if (matches && moment === 'after') {
      signalReached();
      await resumed;
    }
    return result;
  };
  return {
    fileSystem: { ...nodeFileSystem, [name]: wrapped } as FileSystem,
    reached,
    resume: () => resume(),
  };
}
