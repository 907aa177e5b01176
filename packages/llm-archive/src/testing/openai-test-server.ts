import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A loopback server that speaks the OpenAI chat-completions protocol (JSON and SSE streams),
// scripted per request to answer, fail with a status (and Retry-After), stall, reset the
// connection or send a malformed body. The real clients (fetch, the openai package, the AI
// SDK) talk to it over HTTP.

/** What the server does with one request. */
export type ServerBehaviour =
  | {
      readonly kind: 'answer';
      readonly text?: string;
      readonly model?: string;
      readonly delayMs?: number;
      readonly chunkDelayMs?: number;
    }
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly body?: unknown;
      readonly headers?: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'reset' }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'hang' }
  /** A stream that sends `chunks` content chunks, then stalls forever (for aborts). */
  | { readonly kind: 'stream-then-stall'; readonly chunks: number };

/** A request the server received. */
export interface ReceivedRequest {
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly authorization: string | undefined;
}

/** The running server. */
export interface OpenAiTestServer {
  /** `http://127.0.0.1:<port>/v1`, the base URL clients take. */
  readonly baseUrl: string;
  /** Every request received, in order. */
  readonly received: ReceivedRequest[];
  /** Queues behaviours for the next requests; when the queue is empty, requests are answered. */
  script(...behaviours: ServerBehaviour[]): void;
  /** Stops the server and every connection. */
  close(): Promise<void>;
}

/** The answer to a prompt when the script says nothing else: the last user message, echoed. */
function defaultText(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const last = messages.at(-1) as { content?: unknown } | undefined;
  return `echo: ${typeof last?.content === 'string' ? last.content : ''}`;
}

function usageOf(body: Record<string, unknown>, text: string) {
  const prompt = JSON.stringify(body.messages ?? '').length;
  return {
    prompt_tokens: prompt,
    completion_tokens: text.split(' ').length,
    total_tokens: prompt + text.split(' ').length,
  };
}

async function answer(
  request: ReceivedRequest,
  behaviour: Extract<ServerBehaviour, { kind: 'answer' | 'stream-then-stall' }>,
  response: ServerResponse,
  sequence: number,
): Promise<void> {
  const body = request.body;
  const text = (behaviour.kind === 'answer' ? behaviour.text : undefined) ?? defaultText(body);
  const model =
    (behaviour.kind === 'answer' ? behaviour.model : undefined) ?? `${String(body.model)}-served`;
  const id = `chatcmpl-${sequence}`;
  const created = 1_754_836_222;
  if (behaviour.kind === 'answer' && behaviour.delayMs)
    await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
  if (body.stream !== true) {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          { index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' },
        ],
        usage: usageOf(body, text),
      }),
    );
    return;
  }
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (data: unknown) => response.write(`data: ${JSON.stringify(data)}\n\n`);
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    send({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
  chunk({ role: 'assistant', content: '' }, null);
  const words = text.split(/(?<= )/);
  for (const [index, word] of words.entries()) {
    if (behaviour.kind === 'stream-then-stall' && index >= behaviour.chunks) return; // never ends
    chunk({ content: word }, null);
    if (behaviour.kind === 'answer' && behaviour.chunkDelayMs)
      await new Promise((resolve) => setTimeout(resolve, behaviour.chunkDelayMs));
  }
  chunk({}, 'stop');
  const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
  if (streamOptions?.include_usage)
    send({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [],
      usage: usageOf(body, text),
    });
  response.end('data: [DONE]\n\n');
}

/** Starts the server on a free loopback port. */
export async function startOpenAiTestServer(): Promise<OpenAiTestServer> {
  const queue: ServerBehaviour[] = [];
  const received: ReceivedRequest[] = [];
  let sequence = 0;
  const server: Server = createServer(
    async (incoming: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      for await (const chunk of incoming) chunks.push(chunk as Buffer);
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<
          string,
          unknown
        >;
      } catch {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            error: { message: 'invalid JSON body', type: 'invalid_request_error' },
          }),
        );
        return;
      }
      const request = {
        path: incoming.url ?? '',
        body,
        authorization: incoming.headers.authorization,
      };
      received.push(request);
      sequence += 1;
      if (!request.path.endsWith('/chat/completions')) {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ error: { message: `no route ${request.path}`, type: 'not_found' } }),
        );
        return;
      }
      const behaviour = queue.shift() ?? { kind: 'answer' };
      switch (behaviour.kind) {
        case 'answer':
        case 'stream-then-stall':
          await answer(request, behaviour, response, sequence);
          return;
        case 'status':
          response.writeHead(behaviour.status, {
            'content-type': 'application/json',
            ...behaviour.headers,
          });
          response.end(
            JSON.stringify(
              behaviour.body ?? {
                error: { message: `scripted ${behaviour.status}`, type: 'server_error' },
              },
            ),
          );
          return;
        case 'reset':
          incoming.socket.destroy();
          return;
        case 'malformed':
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end('{"id": "chatcmpl-broken", "choices": [');
          return;
        case 'hang':
          return;
      }
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    received,
    script: (...behaviours) => queue.push(...behaviours),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
