import type { Fault } from './fault-rules.js';

/** One request the proxy saw. Headers are never kept, so no credentials are either. */
export interface ProxiedRequest {
  /** Upper-case method. */
  readonly method: string;
  /** Decoded path, e.g. `/cairn-test/a/b.bin`. */
  readonly path: string;
  /** Query parameters, with presigned-URL signatures and credentials redacted. */
  readonly query: Readonly<Record<string, string>>;
  /** The status the client was answered with; undefined when the connection was reset first. */
  status: number | undefined;
  /** Whether a fault rule applied to this request. */
  readonly faulted: boolean;
  /** The kind of fault applied, if any. */
  readonly fault: Fault['kind'] | undefined;
}

/** Query parameters of presigned URLs that carry a signature or credentials. */
const secretQueryParameters = new Set([
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'signature',
  'awsaccesskeyid',
]);

/** The query of `url` as a record, with signatures and credentials replaced by `[redacted]`. */
export function redactedQuery(url: URL): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = secretQueryParameters.has(name.toLowerCase()) ? '[redacted]' : value;
  }
  return query;
}

/** The decoded path of `url`, or the raw one when it holds malformed escapes. */
export function decodedPath(url: URL): string {
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    return url.pathname;
  }
}
