import { ErrorCode, EventName, type SchedulerEvent } from '@baton/core';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';

/** The event stream's source: subscribe a listener, get the unsubscribe function. */
export type Subscribe = (listener: (event: SchedulerEvent) => void) => () => void;

/**
 * Server-sent events of one scheduler (hono's `streamSSE`): every event as
 * JSON (transition events without the full record), a comment every
 * `heartbeatMs` so proxies keep the stream and clients know it lives, and
 * at most `maxStreams` open at once (a 429 past that).
 */
export function eventStreams(
  subscribe: Subscribe,
  limits: { readonly maxStreams: number; readonly heartbeatMs: number },
): (request: Request) => Promise<Response> {
  let open = 0;
  const app = new Hono();
  app.get('/events', (c) => {
    if (open >= limits.maxStreams) {
      return c.json(
        {
          error: { code: ErrorCode.tooManyStreams, message: `At most ${limits.maxStreams} event streams may be open at once for this queue`, retryable: true },
        },
        429,
      );
    }
    open++;
    return streamSSE(c, async (stream) => {
      const off = subscribe((event) => {
        const data =
          event.name === EventName.progress || event.name === EventName.stalled || event.name === EventName.deduplicated ? event : { ...event, job: undefined };
        void stream.writeSSE({ event: event.name, data: JSON.stringify(data) }).catch(() => stream.abort());
      });
      const heartbeat = setInterval(() => void stream.write(': heartbeat\n\n').catch(() => stream.abort()), limits.heartbeatMs);
      try {
        await stream.write(': connected\n\n');
        await new Promise<void>((resolve) => {
          stream.onAbort(resolve);
          c.req.raw.signal.addEventListener('abort', () => resolve());
        });
      } finally {
        clearInterval(heartbeat);
        off();
        open--;
      }
    });
  });
  app.notFound((c) => c.json({ error: { code: ErrorCode.notFound, message: 'not found', retryable: false } }, 404));
  return async (request) => app.fetch(request);
}
