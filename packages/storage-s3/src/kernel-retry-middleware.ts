import type { S3Client } from '@aws-sdk/client-s3';
import {
  defaultClassify,
  isCairnError,
  type RetryClassifier,
  type RetryPolicy,
  retry,
} from '@cairn/kernel';
import { mapS3Error, type S3RequestContext } from './map-s3-error.js';

// Where the SDK puts a call's `abortSignal` in the handler context (see @smithy/core's
// command: it is not exported under a name).
const smithyContextKey = '__smithy_context';

/** What the middleware needs from the SDK's per-call context. */
interface CallContext {
  readonly commandName?: string;
  readonly [smithyContextKey]?: { readonly abortSignal?: AbortSignal };
}

/** What the middleware needs from a request's arguments. */
interface CallArguments {
  readonly input: { readonly Bucket?: string; readonly Key?: string };
  readonly request?: { readonly body?: unknown };
}

function describeCall(context: CallContext, args: CallArguments, bucket: string): S3RequestContext {
  return {
    operation: (context.commandName ?? 'Request').replace(/Command$/, ''),
    bucket: args.input.Bucket ?? bucket,
    key: args.input.Key,
  };
}

/**
 * The kernel's classifier, except that a multipart upload S3 no longer knows (aborted by a
 * lifecycle rule or another client, or already completed) is not sent again: no resend of the
 * same request can succeed. The put decides what it means.
 */
const classify: RetryClassifier = (error, info) =>
  isCairnError(error) && error.details.s3Code === 'NoSuchUpload'
    ? { action: 'give-up' }
    : defaultClassify(error, info);

/** Bytes can be sent again; a stream (Node, web or a Blob's) is used up by the first try. */
function isReplayable(body: unknown): boolean {
  return (
    body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array
  );
}

/**
 * Puts the kernel's retry loop inside the SDK's middleware stack, around each HTTP request and
 * after the SDK's own retry step (switched off with `maxAttempts: 1`): so there is one retry
 * loop, the kernel's, and it also covers the requests lib-storage sends for each part of a
 * multipart upload. Every attempt is signed again (signing comes later in the stack), and each
 * failure is mapped to a CairnError first, so the kernel's classifier decides by `retryable`
 * and S3's `Retry-After`.
 *
 * A request whose body is a stream cannot be sent twice; it gets one attempt. Cairn's own
 * requests always carry bytes (lib-storage buffers each part).
 */
export function addKernelRetry(client: S3Client, policy: RetryPolicy, bucket: string): void {
  client.middlewareStack.addRelativeTo(
    // biome-ignore lint/suspicious/noExplicitAny: the SDK's middleware types live in @smithy/types, not a dependency.
    ((next: (args: any) => Promise<any>, context: CallContext) => async (args: CallArguments) => {
      const call = describeCall(context, args, bucket);
      const once = async () => {
        try {
          return await next(args);
        } catch (error) {
          throw mapS3Error(error, call);
        }
      };
      if (!isReplayable(args.request?.body)) return once();
      const signal = context[smithyContextKey]?.abortSignal;
      return retry(once, { ...policy, classify, ...(signal === undefined ? {} : { signal }) });
    }) as never,
    {
      relation: 'after',
      toMiddleware: 'retryMiddleware',
      name: 'cairnKernelRetry',
      override: true,
    },
  );
}
