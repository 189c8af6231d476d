/**
 * A loopback HTTP proxy in front of `wrangler dev` that misbehaves on
 * demand, the way networks and edges do: it cuts connections, loses the
 * answer after the edge has committed, or answers 503 with `Retry-After`.
 * The browser tests switch it with `POST /__chaos` (JSON `ChaosMode`) and
 * read what it did with `GET /__chaos`. Its dice are seeded, so a run can
 * be replayed.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dice } from './chaos/ledger.ts';

export interface ChaosMode {
  /** `up` forwards; `down` resets every connection; `error` answers 503; `flaky` rolls the dice below. */
  readonly mode: 'up' | 'down' | 'error' | 'flaky';
  /** flaky: the chance a request is cut before it reaches the edge. */
  readonly cutRequest?: number;
  /** flaky: the chance the edge's answer is lost after the edge handled the request. */
  readonly loseAnswer?: number;
  /** error: the `Retry-After` header, in seconds. */
  readonly retryAfterS?: number;
  /**
   * up or flaky: lose the answers of the next this many submits (`POST …/jobs`), after the edge has
   * handled them. A mode that does not say keeps what is left of the count.
   */
  readonly loseNextSubmits?: number;
  readonly seed?: number;
}

export interface ChaosStats {
  forwarded: number;
  cut: number;
  lostAnswers: number;
  errors: number;
  /** Requests that reached the edge, by method and path (query stripped), e.g. `POST /v1/queues/default/jobs`. */
  byRoute: Record<string, number>;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, content-type, idempotency-key, traceparent, tracestate',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-expose-headers': 'retry-after',
};

export async function startChaosProxy(upstream: string): Promise<{ url: string; close(): Promise<void> }> {
  const target = new URL(upstream);
  let mode: ChaosMode = { mode: 'up' };
  let roll = dice(1);
  let submitsToLose = 0;
  const stats: ChaosStats = { forwarded: 0, cut: 0, lostAnswers: 0, errors: 0, byRoute: {} };

  const control = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      mode = JSON.parse(body) as ChaosMode;
      roll = dice(mode.seed ?? 1);
      submitsToLose = mode.loseNextSubmits ?? submitsToLose;
    }
    res.writeHead(200, { ...CORS, 'content-type': 'application/json' }).end(JSON.stringify({ mode, stats }));
  };

  const forward = (req: IncomingMessage, res: ServerResponse, loseAnswer: boolean): void => {
    stats.forwarded++;
    const route = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1;
    const upstreamRequest = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        if (loseAnswer) {
          // The edge has handled it; the browser never hears back.
          answer.resume();
          answer.on('end', () => {
            stats.lostAnswers++;
            req.socket.destroy();
          });
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstreamRequest.on('error', () => req.socket.destroy());
    req.pipe(upstreamRequest);
  };

  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/__chaos')) return void control(req, res);
    // An edge that is down still passes CORS preflights (its CORS layer answers them before the app fails).
    if (req.method === 'OPTIONS' && mode.mode === 'error') return void res.writeHead(204, { ...CORS, 'access-control-max-age': '600' }).end();
    const loseSubmit = (): boolean => {
      const lose = submitsToLose > 0 && req.method === 'POST' && /\/jobs(\?|$)/.test(req.url ?? '');
      if (lose) submitsToLose--;
      return lose;
    };
    switch (mode.mode) {
      case 'up':
        return forward(req, res, loseSubmit());
      case 'down':
        stats.cut++;
        return void req.socket.destroy();
      case 'error':
        stats.errors++;
        res.writeHead(503, { ...CORS, 'content-type': 'application/json', 'retry-after': String(mode.retryAfterS ?? 1) });
        return void res.end(JSON.stringify({ error: { code: 'unavailable', message: 'the edge is down (chaos proxy)' } }));
      case 'flaky':
        if (roll() < (mode.cutRequest ?? 0)) {
          stats.cut++;
          return void req.socket.destroy();
        }
        return forward(req, res, loseSubmit() || roll() < (mode.loseAnswer ?? 0));
    }
  });
  // A fresh connection per request, so a cut connection never poisons the next request.
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
