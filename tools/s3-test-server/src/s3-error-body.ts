import { randomBytes } from 'node:crypto';

/** The fields of an S3 XML error response. */
export interface S3ErrorFields {
  /** S3's error code, e.g. `SlowDown`, `InternalError`, `AccessDenied`. */
  code: string;
  /** Human-readable text; defaults to what S3 says for well-known codes. */
  message?: string;
  /** Defaults to a fresh random id. */
  requestId?: string;
}

/** What S3 says for the codes tests inject most. */
const defaultMessages: Readonly<Record<string, string>> = {
  SlowDown: 'Please reduce your request rate.',
  ServiceUnavailable: 'Please reduce your request rate.',
  InternalError: 'We encountered an internal error. Please try again.',
  AccessDenied: 'Access Denied',
  ConditionalRequestConflict:
    'A conflicting operation occurred. If using PutObject you can retry the request. If using multipart upload you should initiate another CreateMultipartUpload request and re-upload each part.',
  PreconditionFailed: 'At least one of the pre-conditions you specified did not hold',
  RequestTimeout:
    'Your socket connection to the server was not read from or written to within the timeout period.',
};

/** A request id shaped like S3's (16 upper-case hex digits). */
export function newRequestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

/** The message S3 sends with `code`, or the code itself for codes it does not know. */
export function defaultMessageFor(code: string): string {
  return defaultMessages[code] ?? code;
}

/**
 * The XML body S3 sends with an error:
 * `<Error><Code>…</Code><Message>…</Message><RequestId>…</RequestId></Error>`.
 */
export function s3ErrorBody(fields: S3ErrorFields): string {
  const message = fields.message ?? defaultMessageFor(fields.code);
  const requestId = fields.requestId ?? newRequestId();
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${escapeXml(fields.code)}</Code><Message>${escapeXml(message)}</Message>` +
    `<RequestId>${escapeXml(requestId)}</RequestId></Error>`
  );
}

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}
