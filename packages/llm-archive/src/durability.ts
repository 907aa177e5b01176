import { z } from 'zod';

/**
 * How hard the archive works to keep a record when the machine, not only the process, dies.
 *
 * - `fsync` (default): each call's response object, the folder entry naming it and its index
 *   line are flushed to the disk before the call returns. Survives a power cut.
 * - `batched`: the same flushes, shared: calls that finish while a flush runs wait for the next
 *   one, which makes all of them durable at once (group commit). Survives a power cut; each
 *   call waits up to one flush longer, and many concurrent calls cost far less.
 * - `none`: written to the operating system before the call returns, never flushed. Survives
 *   the process being killed (the data is in the OS), but a power cut or kernel crash can lose
 *   the last seconds of records.
 */
export const durabilityLevels = ['fsync', 'batched', 'none'] as const;
/** See {@link durabilityLevels}. */
export type Durability = (typeof durabilityLevels)[number];

/** The option's schema. */
export const durabilitySchema = z.enum(durabilityLevels);
