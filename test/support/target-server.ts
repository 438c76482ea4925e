/**
 * A real HTTP server on loopback standing in for Slack, HubSpot or a forwarder target: it records
 * every request it receives and answers from a script (200, 429 with Retry-After, 500, 400, or
 * hang), so adapters are tested against the exact requests they send.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type ScriptedAnswer =
  | { status: number; body?: string; headers?: Record<string, string> }
  | { hang: true };

export interface TargetServer {
  url: string;
  requests: RecordedRequest[];
  /** Answers for the next requests, in order; when used up, `fallback` answers. */
  answer(...answers: ScriptedAnswer[]): void;
  fallback: ScriptedAnswer;
  /** Answers by content instead (wins over the script while set): e.g. fail one user, accept others. */
  respondWith(responder: ((request: RecordedRequest) => ScriptedAnswer) | undefined): void;
  /** Forgets recorded requests, scripted answers and the responder. */
  reset(): void;
  close(): Promise<void>;
}

export const startTargetServer = async (
  fallback: ScriptedAnswer = { status: 200, body: 'ok' },
): Promise<TargetServer> => {
  const queue: ScriptedAnswer[] = [];
  const requests: RecordedRequest[] = [];
  const hung = new Set<import('node:http').ServerResponse>();
  const state: { fallback: ScriptedAnswer; responder?: (request: RecordedRequest) => ScriptedAnswer } = {
    fallback,
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const answer = state.responder?.(recorded) ?? queue.shift() ?? state.fallback;
      if ('hang' in answer) {
        hung.add(res);
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer: (...answers) => queue.push(...answers),
    respondWith: (responder) => {
      state.responder = responder;
    },
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      state.responder = undefined;
    },
    get fallback() {
      return state.fallback;
    },
    set fallback(value: ScriptedAnswer) {
      state.fallback = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hung) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
