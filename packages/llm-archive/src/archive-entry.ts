import { createHash } from 'node:crypto';
import { z } from 'zod';

/** The format tag of index entries; part of the genesis hash, so formats never mix. */
export const archiveFormat = 'cairn.llm-archive/v1';

const count = z.number().int().nonnegative();

/** Cost of a call: US dollars, or `"unknown"` when the price of the model is not known. */
export const costSchema = z.union([
  z.object({ usd: z.number().nonnegative() }).strict(),
  z.literal('unknown'),
]);
/** Cost of a call. */
export type Cost = z.infer<typeof costSchema>;

/** How a call ended. */
export const callStatuses = ['ok', 'error', 'aborted'] as const;
/** How a call ended. */
export type CallStatus = (typeof callStatuses)[number];

/**
 * One line of the archive's index: what one attempt of one LLM call was, where its response is,
 * and the hash of the line before it (`prev`), so any edit, deletion, reordering or truncation
 * in the middle breaks the chain at the first bad entry.
 */
export const archiveEntrySchema = z
  .object({
    /** Position in the index, from 1. */
    seq: z.number().int().positive(),
    /** Hex SHA-256 of the previous line (or of the genesis text for the first). */
    prev: z.string().regex(/^[0-9a-f]{64}$/),
    /** When the call ended (ISO 8601). */
    at: z.string(),
    /** The run the call belongs to. */
    run: z.string(),
    /** The pipeline step, when the caller said. */
    step: z.string().optional(),
    /** The item of a mapped step, when the caller said. */
    item: count.optional(),
    /** The model asked for. */
    requestedModel: z.string(),
    /** The model that answered, as the response named it. */
    servedModel: z.string().optional(),
    /** Who served it (e.g. `openai`, `ollama`, a base URL's host). */
    provider: z.string().optional(),
    /** 1 for the first attempt of the call; each retry and fallback is its own entry. */
    attempt: z.number().int().positive(),
    /** The call this attempt belongs to: every attempt of one call shares it. */
    call: z.string(),
    /** Prompt tokens, or null when the response did not say. */
    promptTokens: count.nullable(),
    /** Completion tokens, or null when the response did not say. */
    completionTokens: count.nullable(),
    /** Cost, never 0 when unknown. */
    cost: costSchema,
    /** From the start of the attempt to its end, in milliseconds. */
    latencyMs: z.number().nonnegative(),
    /** For streams: from the start to the first token. */
    timeToFirstTokenMs: z.number().nonnegative().optional(),
    /** Whether the response streamed. */
    stream: z.boolean().optional(),
    /** How the attempt ended. */
    status: z.enum(callStatuses),
    /** The error's class (`RateLimited`, `ServerError`, `Timeout`…) for failed attempts. */
    errorClass: z.string().optional(),
    /** HTTP status of a failed attempt, when there was one. */
    httpStatus: z.number().int().optional(),
    /** Hex SHA-256 of the request's model, messages and parameters: what replay matches. */
    requestHash: z.string().regex(/^[0-9a-f]{64}$/),
    /** The response object, relative to the archive folder. */
    response: z.string(),
    /** Hex SHA-256 of the response object's bytes. */
    responseSha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** True when served from the archive instead of the network (replay). */
    replayed: z.boolean().optional(),
  })
  .strict();
/** One index entry. */
export type ArchiveEntry = z.infer<typeof archiveEntrySchema>;

/** Hex SHA-256 of one index line's exact bytes, without its newline. */
export function lineHash(line: string): string {
  return createHash('sha256').update(line).digest('hex');
}

/** The `prev` of the first entry of the archive of `run`. */
export function genesisHash(run: string): string {
  return lineHash(`${archiveFormat}:${run}`);
}

/** The line of an entry: JSON, keys in schema order, no newline. */
export function entryLine(entry: ArchiveEntry): string {
  return JSON.stringify(archiveEntrySchema.parse(entry));
}
