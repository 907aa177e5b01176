import { CairnError, parseRetryAfter } from '@cairn/kernel';
import { formatRunPath, type WandbRunPath } from './wandb-run-path.js';
import { runQuery, runResponseSchema, type WandbRun } from './wandb-run-response.js';
import { wandbSourceName } from './wandb-source-options.js';

/** What one request needs. */
export interface RunRequest {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly timeoutMs: number;
  readonly path: WandbRunPath;
  readonly signal: AbortSignal;
  /** Milliseconds since the epoch, to read an HTTP-date `Retry-After`. */
  readonly now: () => number;
}

/**
 * The Authorization header for a key: W&B's new access tokens (`wb_at_…`) are Bearer tokens,
 * API keys go as HTTP Basic with the user `api`.
 */
export function authorizationFor(apiKey: string): string {
  return apiKey.startsWith('wb_at_')
    ? `Bearer ${apiKey}`
    : `Basic ${Buffer.from(`api:${apiKey}`).toString('base64')}`;
}

function failure(
  code: 'TRANSIENT_IO' | 'PERMANENT_IO' | 'CORRUPT_DATA',
  message: string,
  details: Record<string, unknown>,
  extra: { retryAfterMs?: number; cause?: unknown } = {},
): CairnError {
  return new CairnError({
    code,
    backend: wandbSourceName,
    message,
    details,
    ...(extra.retryAfterMs === undefined ? {} : { retryAfterMs: extra.retryAfterMs }),
    // Only causes without the request: a fetch error carries no headers, a response would.
    ...(extra.cause === undefined ? {} : { cause: extra.cause }),
  });
}

/** Whether a GraphQL error message says the project or run does not exist. */
const notFoundMessage = /not found|could not find|does not exist/i;

/**
 * Asks the W&B GraphQL API for one run, once.
 * @returns the run, or null when W&B has no such project or run.
 * @throws CairnError `ABORTED` (the caller's signal), `TRANSIENT_IO` (timeouts, resets, 429 with
 *   its `Retry-After`, 5xx: retryable), `PERMANENT_IO` (401/403 and other refusals, GraphQL
 *   errors: not retryable; `details.status` says which), `CORRUPT_DATA` (a body that is not the
 *   documented shape).
 */
export async function requestRun(request: RunRequest): Promise<WandbRun | null> {
  const { path } = request;
  const where = formatRunPath(path);
  const details = { run: where, baseUrl: request.baseUrl };
  const url = new URL(
    'graphql',
    request.baseUrl.endsWith('/') ? request.baseUrl : `${request.baseUrl}/`,
  );
  const timeout = AbortSignal.timeout(request.timeoutMs);
  let response: Response;
  let body: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: authorizationFor(request.apiKey),
        'content-type': 'application/json',
        accept: 'application/json',
        'user-agent': 'cairn-remote-wandb',
      },
      body: JSON.stringify({
        query: runQuery,
        variables: { entity: path.entity, project: path.project, run: path.runId },
      }),
      signal: AbortSignal.any([request.signal, timeout]),
    });
    body = await response.text();
  } catch (error) {
    if (request.signal.aborted) {
      throw new CairnError({
        code: 'ABORTED',
        backend: wandbSourceName,
        message: `Looking up W&B run ${where} was aborted.`,
        cause: request.signal.reason,
        details,
      });
    }
    if (timeout.aborted) {
      throw failure(
        'TRANSIENT_IO',
        `W&B did not answer within ${request.timeoutMs} ms while looking up run ${where}.`,
        details,
      );
    }
    throw failure(
      'TRANSIENT_IO',
      `Could not reach W&B at ${request.baseUrl} to look up run ${where}: ${describe(error)}. Check the network or the baseUrl option.`,
      details,
      { cause: error },
    );
  }
  const status = response.status;
  if (status === 401 || status === 403) {
    throw failure(
      'PERMANENT_IO',
      `W&B refused the API key (${status}) looking up run ${where}: check WANDB_API_KEY or the apiKey option (https://wandb.ai/authorize), and that the key can read ${path.entity}/${path.project}.`,
      { ...details, status },
    );
  }
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(
      response.headers.get('retry-after') ?? undefined,
      request.now(),
    );
    throw failure(
      'TRANSIENT_IO',
      `W&B answered ${status} looking up run ${where}${status === 429 ? ' (rate limited)' : ''}.`,
      { ...details, status },
      retryAfterMs === undefined ? {} : { retryAfterMs },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw failure(
      'CORRUPT_DATA',
      `W&B answered ${status} with a body that is not JSON looking up run ${where}.`,
      { ...details, status },
    );
  }
  const parsed = runResponseSchema.safeParse(value);
  if (status !== 200 || !parsed.success) {
    const messages = parsed.success ? (parsed.data.errors ?? []).map((error) => error.message) : [];
    if (messages.some((message) => notFoundMessage.test(message))) return null;
    throw failure(
      parsed.success || status !== 200 ? 'PERMANENT_IO' : 'CORRUPT_DATA',
      `W&B answered ${status} looking up run ${where}${messages.length > 0 ? `: ${messages.join('; ').slice(0, 300)}` : parsed.success ? '' : ' with a body that is not the documented GraphQL shape'}.`,
      { ...details, status },
    );
  }
  const { data, errors } = parsed.data;
  if (data?.project === undefined && errors !== undefined && errors.length > 0) {
    const messages = errors.map((error) => error.message);
    if (messages.some((message) => notFoundMessage.test(message))) return null;
    throw failure(
      'PERMANENT_IO',
      `W&B could not answer the query for run ${where}: ${messages.join('; ').slice(0, 300)}.`,
      { ...details, status },
    );
  }
  return data?.project?.run ?? null;
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error ? error.message : String(error);
}
