/**
 * A loopback span collector for the tracing suites: pages, workers and the
 * edge (workerd) post the spans they end, as JSON, to `POST /spans`, the way
 * an OTLP exporter posts to a collector; `GET /spans` reads every span it
 * holds, `DELETE /spans` forgets them. CORS is open: pages post to it.
 */
import { createServer, type Server } from 'node:http';

/** A span as the fixtures post it: where it ran, its ids, name, kind and attributes. */
export interface CollectedSpan {
  readonly source: string;
  readonly name: string;
  readonly kind: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly attributes: Readonly<Record<string, unknown>>;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'content-type',
  'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
};

export async function startCollector(): Promise<{ url: string; close(): Promise<void> }> {
  let spans: CollectedSpan[] = [];
  const server: Server = createServer(async (req, res) => {
    if (req.url !== '/spans') return void res.writeHead(404, CORS).end();
    if (req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      spans.push(...(JSON.parse(body) as CollectedSpan[]));
    } else if (req.method === 'DELETE') spans = [];
    res.writeHead(200, { ...CORS, 'content-type': 'application/json' }).end(req.method === 'GET' ? JSON.stringify(spans) : '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/spans`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
