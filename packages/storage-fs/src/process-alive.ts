/**
 * Whether a process with this id exists on this machine. Signal 0 checks without sending
 * anything; EPERM means it exists but belongs to another user. A live answer may be a
 * different process that reused the id (after a reboot), which is why callers also look at
 * the age of what they clean up.
 */
export function isProcessAlive(processId: number): boolean {
  try {
    process.kill(processId, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}
