import { CairnError } from '@cairn/kernel';

/** Answer with an S3 error without forwarding the request (HEAD gets no body, like S3). */
export interface StatusFault {
  kind: 'status';
  /** HTTP status, e.g. 503, 500, 403, 409. */
  status: number;
  /** S3 error code, e.g. `SlowDown`, `InternalError`, `AccessDenied`, `ConditionalRequestConflict`. */
  code: string;
  /** Defaults to S3's text for the code. */
  message?: string;
  /** Sent as a `Retry-After` header. */
  retryAfterSeconds?: number;
}

/** Read this many bytes of the request body, then reset the connection; nothing is forwarded. */
export interface ResetRequestBodyFault {
  kind: 'reset-request-body';
  /** Bytes of the request body to read before the reset (0 resets at once). */
  afterBytes: number;
}

/** Forward, then close the connection after this many bytes of the response body. */
export interface ResetResponseBodyFault {
  kind: 'reset-response-body';
  /** Bytes of the response body the client receives before the connection closes. */
  afterBytes: number;
}

/** Forward (so the write happens), then answer with an error: the commit's answer was lost. */
export interface AfterForwardStatusFault {
  kind: 'after-forward-status';
  /** HTTP status the client sees, e.g. 500. */
  status: number;
  /** S3 error code the client sees, e.g. `InternalError`. */
  code: string;
  /** Defaults to S3's text for the code. */
  message?: string;
}

/** Wait this long before forwarding. */
export interface LatencyFault {
  kind: 'latency';
  /** Milliseconds to wait. */
  ms: number;
}

/** One fault the proxy can inject. */
export type Fault =
  | StatusFault
  | ResetRequestBodyFault
  | ResetResponseBodyFault
  | AfterForwardStatusFault
  | LatencyFault;

/** What a rule can see of a request: never its headers or body. */
export interface RequestSummary {
  /** Upper-case method. */
  method: string;
  /** Decoded path, e.g. `/cairn-test/a/b.bin`. */
  path: string;
  /** Query parameters (signatures and credentials redacted). */
  query: Readonly<Record<string, string>>;
}

/** Which requests a rule applies to; every given field must match. */
export interface FaultMatch {
  /** HTTP method, case-insensitive. */
  method?: string;
  /** A substring of the decoded path. */
  pathIncludes?: string;
  /** The name of a query parameter that must be present, e.g. `partNumber` or `uploadId`. */
  query?: string;
  /** Any other test. */
  predicate?: (request: RequestSummary) => boolean;
}

/** A fault and the requests it applies to. */
export interface FaultRule {
  /** Omitted: every request matches. */
  match?: FaultMatch;
  /** How many matching requests to fault (a positive integer, or `Infinity`). */
  times: number;
  /** What to do to them. */
  fault: Fault;
}

/** An ordered list of rules; each matching request uses up one of the first matching rule's `times`. */
export class FaultRules {
  readonly #rules: { rule: FaultRule; remaining: number }[] = [];

  /** Appends a rule after the existing ones. */
  add(rule: FaultRule): void {
    validate(rule);
    this.#rules.push({ rule, remaining: rule.times });
  }

  /** Removes every rule. */
  clear(): void {
    this.#rules.length = 0;
  }

  /** The fault for `request`, consuming one use of the rule it came from; undefined for none. */
  take(request: RequestSummary): Fault | undefined {
    const index = this.#rules.findIndex((entry) => matches(entry.rule.match, request));
    const entry = this.#rules[index];
    if (entry === undefined) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.#rules.splice(index, 1);
    return entry.rule.fault;
  }
}

function matches(match: FaultMatch | undefined, request: RequestSummary): boolean {
  if (match === undefined) return true;
  if (match.method !== undefined && match.method.toUpperCase() !== request.method) return false;
  if (match.pathIncludes !== undefined && !request.path.includes(match.pathIncludes)) return false;
  if (match.query !== undefined && !Object.hasOwn(request.query, match.query)) return false;
  if (match.predicate !== undefined && !match.predicate(request)) return false;
  return true;
}

function validate(rule: FaultRule): void {
  const problems: string[] = [];
  if (
    !(rule.times === Number.POSITIVE_INFINITY || (Number.isInteger(rule.times) && rule.times > 0))
  ) {
    problems.push('times must be a positive integer or Infinity');
  }
  const fault = rule.fault;
  switch (fault.kind) {
    case 'status':
    case 'after-forward-status':
      if (!Number.isInteger(fault.status) || fault.status < 400 || fault.status > 599) {
        problems.push('status must be an HTTP error status (400–599)');
      }
      if (fault.code === '') problems.push('code must not be empty');
      break;
    case 'reset-request-body':
    case 'reset-response-body':
      if (!Number.isInteger(fault.afterBytes) || fault.afterBytes < 0) {
        problems.push('afterBytes must be a non-negative integer');
      }
      break;
    case 'latency':
      if (!Number.isFinite(fault.ms) || fault.ms < 0)
        problems.push('ms must be a non-negative number');
      break;
    default:
      problems.push(`unknown fault kind ${JSON.stringify((fault as { kind: unknown }).kind)}`);
  }
  if (problems.length > 0) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: 's3-test-server',
      message: `The fault rule is invalid: ${problems.join('; ')}. Fix the rule passed to addFault().`,
      details: { problems },
    });
  }
}
