/** Why a run is being stopped. */
export type StopReason =
  | { readonly kind: 'signal'; readonly signal: 'SIGINT' | 'SIGTERM' }
  | { readonly kind: 'uncaught'; readonly error: unknown }
  | { readonly kind: 'aborted'; readonly reason: unknown };

/** Exit codes of the conventional "killed by signal" form, 128 + signal number. */
export const signalExitCodes = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Listens for SIGINT/SIGTERM and for uncaught errors while a run is going, turning the first
 * into a stop request so in-flight work is finished and the run is marked. A second signal
 * means the user does not want to wait: the process exits at once with the signal's code.
 *
 * @returns a function that removes every listener.
 */
export function handleProcessSignals(stop: (reason: StopReason) => void): () => void {
  let stopping = false;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (stopping) process.exit(signalExitCodes[signal]);
    stopping = true;
    stop({ kind: 'signal', signal });
  };
  const onInterrupt = () => onSignal('SIGINT');
  const onTerminate = () => onSignal('SIGTERM');
  const onUncaught = (error: unknown) => {
    stopping = true;
    stop({ kind: 'uncaught', error });
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onTerminate);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  return () => {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onTerminate);
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  };
}
