/** The name checkpoint errors carry as their `backend`: `[cairn] [checkpoints] …`. */
export const checkpointsBackend = 'checkpoints';
