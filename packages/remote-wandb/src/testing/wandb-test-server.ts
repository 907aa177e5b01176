import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the server received. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: { query?: string; variables?: Record<string, string> };
}

/** What the server does with one request: a status, headers and a raw body, maybe late. */
export interface PlannedResponse {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
  /** Wait this long before answering (a slow server). */
  readonly delayMs?: number;
  /** Close the connection without answering. */
  readonly reset?: boolean;
}

/** A loopback HTTP server that answers W&B GraphQL requests as a test plans them. */
export interface WandbTestServer {
  /** The base URL to give the source. */
  readonly baseUrl: string;
  /** Every request received, in order. */
  readonly requests: ReceivedRequest[];
  /** Answers the next requests in order; when none is planned, `fallback` answers. */
  plan(...responses: PlannedResponse[]): void;
  /** The answer when nothing is planned. */
  fallback: (request: ReceivedRequest) => PlannedResponse;
  /** Stops the server. */
  close(): Promise<void>;
}

/** `{ data: { project: { run } } }` as W&B answers a found run; config and summary as JSON strings. */
export function runResponse(
  run: Record<string, unknown> | null,
  project: 'found' | 'missing' = 'found',
): PlannedResponse {
  return {
    body: JSON.stringify({ data: { project: project === 'missing' ? null : { run } } }),
    headers: { 'content-type': 'application/json' },
  };
}

/** A run as the documented GraphQL shape gives it. */
export function sampleRun(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'UnVuOnYxOmFiYzEyMzpzZWdtZW50YXRpb246dGVhbQ==',
    name: 'abc123',
    displayName: 'glowing-sun-42',
    state: 'finished',
    config: JSON.stringify({
      _wandb: { value: { cli_version: '0.17.0' } },
      wandb_version: 1,
      lr: { desc: null, value: 0.0003 },
      batch_size: { desc: 'per device', value: 32 },
      model: { desc: null, value: { name: 'resnet50', layers: 50 } },
      epoch: { desc: null, value: 12 },
    }),
    summaryMetrics: JSON.stringify({
      _runtime: 3600.5,
      _step: 1200,
      _timestamp: 1714566600.1,
      _wandb: { runtime: 3600 },
      epoch: 11,
      'val/hmean': 0.82,
      val: { precision: 0.85, recall: 0.79 },
      loss: 0.123,
      histogram: { _type: 'histogram', values: [1, 2], bins: [0, 1, 2] },
      note: 'text is not a metric',
      diverged: 'NaN',
    }),
    tags: ['baseline', 'v2', 'baseline'],
    group: 'sweep-7',
    jobType: 'train',
    commit: '0123456789abcdef0123456789abcdef01234567',
    createdAt: '2024-05-01T12:30:00',
    heartbeatAt: '2024-05-01T13:30:00',
    ...overrides,
  };
}

/** Starts a server on 127.0.0.1 and a random port. */
export async function startWandbTestServer(): Promise<WandbTestServer> {
  const requests: ReceivedRequest[] = [];
  const planned: PlannedResponse[] = [];
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      let body: ReceivedRequest['body'] = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = {};
      }
      const request: ReceivedRequest = {
        method: incoming.method ?? '',
        path: incoming.url ?? '',
        authorization: incoming.headers.authorization,
        body,
      };
      requests.push(request);
      const response = planned.shift() ?? handle.fallback(request);
      const answer = () => {
        if (response.reset) {
          incoming.socket.destroy();
          return;
        }
        outgoing.writeHead(response.status ?? 200, response.headers ?? {});
        outgoing.end(response.body);
      };
      if (response.delayMs === undefined) answer();
      else setTimeout(answer, response.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handle: WandbTestServer = {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    plan: (...responses) => planned.push(...responses),
    fallback: () => runResponse(sampleRun()),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return handle;
}
