import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pipeline } from 'node:stream';
import { CairnError } from '@cairn/kernel';
import { type Fault, type FaultRule, FaultRules } from './fault-rules.js';
import { decodedPath, type ProxiedRequest, redactedQuery } from './request-log.js';
import { newRequestId, s3ErrorBody } from './s3-error-body.js';

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** The server to forward to, e.g. an {@link S3TestServer}'s `endpoint`. */
  target: string;
}

/** A running fault-injecting HTTP proxy on loopback. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: point the S3 client here instead of at the server. */
  readonly endpoint: string;
  /** The random port it listens on. */
  readonly port: number;
  /** Every request seen, in arrival order: method, path, query, status, fault; never headers. */
  readonly requests: readonly ProxiedRequest[];
  /** Appends a rule; rules are consulted in order and each match uses up one of its `times`. */
  addFault(rule: FaultRule): void;
  /** Removes every rule; requests are forwarded untouched again. */
  clearFaults(): void;
  /** Closes the proxy and its connections. Calling it again returns the same promise. */
  stop(): Promise<void>;
}

/** Headers that describe one connection, not the message, so they are not passed along. */
const hopByHopHeaders = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Starts a proxy on 127.0.0.1 with a random port that forwards every request to `target`,
 * streaming bodies both ways, and injects the faults added with `addFault`.
 *
 * @example
 * const proxy = await startFaultProxy({ target: server.endpoint });
 * proxy.addFault({ match: { method: 'PUT' }, times: 1, fault: { kind: 'status', status: 503, code: 'SlowDown' } });
 * const client = new S3Client({ ...server.clientConfig(), endpoint: proxy.endpoint, maxAttempts: 1 });
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:') {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: 's3-test-server',
      message: `The proxy target ${JSON.stringify(options.target)} is not an http:// URL. Pass a test server's endpoint.`,
    });
  }
  const rules = new FaultRules();
  const requests: ProxiedRequest[] = [];
  const agent = new Agent({ keepAlive: true });
  const forwarder = createForwarder(target, agent);

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://proxy.invalid');
    const summary = {
      method: (request.method ?? 'GET').toUpperCase(),
      path: decodedPath(url),
      query: redactedQuery(url),
    };
    const fault = rules.take(summary);
    const entry: ProxiedRequest = {
      ...summary,
      status: undefined,
      faulted: fault !== undefined,
      fault: fault?.kind,
    };
    requests.push(entry);
    response.once('close', () => {
      if (response.headersSent) entry.status = response.statusCode;
    });
    handle(request, response, fault, forwarder);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    requests,
    addFault: (rule) => rules.add(rule),
    clearFaults: () => rules.clear(),
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      });
      return stopping;
    },
  };
}

type Forwarder = (
  request: IncomingMessage,
  response: ServerResponse,
  onUpstreamResponse: (upstream: IncomingMessage) => void,
) => void;

function handle(
  request: IncomingMessage,
  response: ServerResponse,
  fault: Fault | undefined,
  forward: Forwarder,
): void {
  switch (fault?.kind) {
    case undefined:
      forward(request, response, (upstream) => relayResponse(upstream, response));
      return;
    case 'status':
      // Read and drop the body so the connection stays usable for the next request.
      request.resume();
      answerWithError(request, response, fault);
      return;
    case 'reset-request-body':
      resetAfterRequestBytes(request, fault.afterBytes);
      return;
    case 'reset-response-body':
      forward(request, response, (upstream) =>
        relayResponseThenReset(upstream, response, fault.afterBytes),
      );
      return;
    case 'after-forward-status':
      forward(request, response, (upstream) => {
        // The server has answered, so the write is committed; the client never learns it.
        upstream.resume();
        upstream.once('end', () => answerWithError(request, response, fault));
      });
      return;
    case 'latency': {
      const timer = setTimeout(
        () => forward(request, response, (upstream) => relayResponse(upstream, response)),
        fault.ms,
      );
      response.once('close', () => clearTimeout(timer));
      return;
    }
  }
}

function createForwarder(target: URL, agent: Agent): Forwarder {
  return (request, response, onUpstreamResponse) => {
    if (response.destroyed) return;
    const upstream = httpRequest({
      host: target.hostname,
      port: target.port,
      method: request.method,
      path: request.url,
      // The Host header stays the client's: it is part of the request's signature.
      headers: withoutHopByHop(request.headers),
      agent,
    });
    upstream.once('response', onUpstreamResponse);
    upstream.once('error', () => {
      if (!response.headersSent) {
        answerWithError(request, response, { status: 502, code: 'BadGateway' });
      } else {
        response.destroy();
      }
    });
    // A client that goes away mid-request must abort the forwarded request too.
    response.once('close', () => {
      if (!response.writableFinished) upstream.destroy();
    });
    pipeline(request, upstream, () => {});
  };
}

function relayResponse(upstream: IncomingMessage, response: ServerResponse): void {
  response.writeHead(upstream.statusCode ?? 502, withoutHopByHop(upstream.headers));
  pipeline(upstream, response, () => {});
}

function relayResponseThenReset(
  upstream: IncomingMessage,
  response: ServerResponse,
  afterBytes: number,
): void {
  response.writeHead(upstream.statusCode ?? 502, withoutHopByHop(upstream.headers));
  response.flushHeaders();
  const socket = response.socket;
  let sent = 0;
  const cut = () => {
    upstream.destroy();
    socket?.destroy();
  };
  if (afterBytes === 0) {
    cut();
    return;
  }
  upstream.on('data', (chunk: Buffer) => {
    const room = afterBytes - sent;
    if (chunk.length < room) {
      sent += chunk.length;
      if (!response.write(chunk)) {
        upstream.pause();
        response.once('drain', () => upstream.resume());
      }
      return;
    }
    upstream.pause();
    sent = afterBytes;
    // Close only once the bytes are handed to the socket, so the client really gets them.
    response.write(chunk.subarray(0, room), cut);
  });
  upstream.once('end', () => {
    // The body was shorter than afterBytes: nothing to cut.
    if (sent < afterBytes) response.end();
  });
}

function resetAfterRequestBytes(request: IncomingMessage, afterBytes: number): void {
  const socket = request.socket;
  let done = false;
  const reset = () => {
    if (done) return;
    done = true;
    request.removeAllListeners('data');
    resetSocket(socket);
  };
  if (afterBytes === 0) {
    reset();
    return;
  }
  let received = 0;
  request.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received >= afterBytes) reset();
  });
  // A body shorter than afterBytes is reset once it is all in.
  request.once('end', reset);
}

/** A TCP reset (RST) like a dropped connection, where this Node version can send one. */
function resetSocket(socket: Socket): void {
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

function answerWithError(
  request: IncomingMessage,
  response: ServerResponse,
  error: { status: number; code: string; message?: string; retryAfterSeconds?: number },
): void {
  if (response.headersSent || response.destroyed) return;
  const requestId = newRequestId();
  const headers: OutgoingHttpHeaders = { 'x-amz-request-id': requestId };
  if (error.retryAfterSeconds !== undefined)
    headers['retry-after'] = String(error.retryAfterSeconds);
  if (request.method === 'HEAD') {
    // S3 answers HEAD errors with a status and no body.
    response.writeHead(error.status, headers);
    response.end();
    return;
  }
  const body = s3ErrorBody({ code: error.code, message: error.message, requestId });
  response.writeHead(error.status, {
    ...headers,
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !hopByHopHeaders.has(name)) kept[name] = value;
  }
  return kept;
}
