/**
 * Server-sent events over `fetch`: `EventSource` cannot send an
 * `Authorization` header, so the stream is read as a body and parsed here,
 * and reconnected with backoff when it drops.
 */
import type { FeedStatus } from './source.ts';

/** One dispatched message of an event stream. */
export interface SseMessage {
  readonly event: string;
  readonly data: string;
  readonly id: string | null;
}

/**
 * An incremental parser of `text/event-stream` (the WHATWG rules): feed it
 * decoded text as it arrives, in chunks cut anywhere; it calls `onMessage`
 * for each event a blank line ends. Comments (`: heartbeat`) are skipped;
 * `retry:` is passed to `onRetry`.
 */
export class SseParser {
  private buffer = '';
  private afterCR = false;
  private event = '';
  private data: string[] = [];
  private id: string | null = null;
  private readonly onMessage: (message: SseMessage) => void;
  private readonly onRetry: (ms: number) => void;

  constructor(onMessage: (message: SseMessage) => void, onRetry: (ms: number) => void = () => {}) {
    this.onMessage = onMessage;
    this.onRetry = onRetry;
  }

  push(chunk: string): void {
    if (chunk === '') return;
    // A `\r` that ended the last chunk may be the first half of a `\r\n`: its line is done, the `\n` is skipped.
    this.buffer += this.afterCR && chunk.startsWith('\n') ? chunk.slice(1) : chunk;
    this.afterCR = false;
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/);
      if (end === -1) return;
      const line = this.buffer.slice(0, end);
      const crlf = this.buffer.startsWith('\r\n', end);
      const cr = !crlf && this.buffer[end] === '\r';
      this.buffer = this.buffer.slice(end + (crlf ? 2 : 1));
      if (cr && this.buffer === '') this.afterCR = true;
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.onMessage({ event: this.event === '' ? 'message' : this.event, data: this.data.join('\n'), id: this.id });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.onRetry(Number(value));
  }
}

export interface StreamOptions {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly fetch?: (request: Request) => Promise<Response>;
  readonly onMessage: (message: SseMessage) => void;
  readonly onStatus?: (status: FeedStatus) => void;
  /** First reconnection delay; doubles per failed try, with jitter. @default 1000 */
  readonly minDelayMs?: number;
  /** @default 30000 */
  readonly maxDelayMs?: number;
  /**
   * A stream silent this long is taken as dead and reopened. The edge sends
   * a heartbeat every 15 s. @default 45000
   */
  readonly idleMs?: number;
  /** @default Math.random */
  readonly random?: () => number;
}

/** An answer worth no second try: the token is wrong, or the route is not there. */
const FINAL_STATUSES = new Set([400, 401, 403, 404]);

/**
 * Reads an event stream with `fetch`, reconnecting when it drops, fails or
 * stays silent past `idleMs`: after `minDelayMs`, doubling up to
 * `maxDelayMs`, with jitter, and never sooner than a 429's `Retry-After`.
 * A stream that stayed open a while starts over from the shortest delay.
 * 400, 401, 403 and 404 end it (`closed`). Returns the function that
 * closes it.
 */
export function readEventStream(options: StreamOptions): () => void {
  const send = options.fetch ?? ((request: Request) => fetch(request));
  const minDelayMs = options.minDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const idleMs = options.idleMs ?? 45_000;
  const random = options.random ?? Math.random;
  const report = options.onStatus ?? (() => {});
  const stop = new AbortController();
  let serverRetryMs: number | null = null;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      stop.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });

  /** One connection: resolves when it ends, with how long it was open and the server's wait, if it said one. */
  async function connect(): Promise<{ openMs: number; retryAfterMs: number | null; error: string; final: boolean }> {
    const connection = new AbortController();
    const abort = () => connection.abort();
    stop.signal.addEventListener('abort', abort, { once: true });
    let idle: ReturnType<typeof setTimeout> | undefined;
    const watch = () => {
      clearTimeout(idle);
      idle = setTimeout(abort, idleMs);
    };
    let openedAt: number | null = null;
    try {
      report({ state: 'connecting' });
      watch();
      const response = await send(
        new Request(options.url, { headers: { ...options.headers, accept: 'text/event-stream' }, signal: connection.signal, cache: 'no-store' }),
      );
      if (!response.ok || response.body === null) {
        const text = await response.text().catch(() => '');
        let message = `${response.status} ${response.statusText}`.trim();
        try {
          message = (JSON.parse(text) as { error: { message: string } }).error.message ?? message;
        } catch {
          // not a Baton error body: keep the status line
        }
        const retryAfter = Number(response.headers.get('retry-after'));
        return {
          openMs: 0,
          retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : null,
          error: message,
          final: FINAL_STATUSES.has(response.status),
        };
      }
      openedAt = Date.now();
      report({ state: 'open' });
      const parser = new SseParser(options.onMessage, (ms) => {
        serverRetryMs = ms;
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          watch();
          const { done, value } = await reader.read();
          if (done) break;
          parser.push(value);
        }
      } finally {
        reader.releaseLock();
      }
      return { openMs: Date.now() - openedAt, retryAfterMs: null, error: 'the stream ended', final: false };
    } catch (error) {
      const silent = !stop.signal.aborted && connection.signal.aborted;
      return {
        openMs: openedAt === null ? 0 : Date.now() - openedAt,
        retryAfterMs: null,
        error: silent ? `no data for ${Math.round(idleMs / 1000)} s` : error instanceof Error ? error.message : String(error),
        final: false,
      };
    } finally {
      clearTimeout(idle);
      stop.signal.removeEventListener('abort', abort);
      connection.abort();
    }
  }

  void (async () => {
    let failures = 0;
    while (!stop.signal.aborted) {
      const ended = await connect();
      if (stop.signal.aborted) return;
      if (ended.final) {
        report({ state: 'closed', error: ended.error });
        return;
      }
      // A connection that lived a while was a success: start the backoff over.
      failures = ended.openMs > 10_000 ? 0 : failures + 1;
      const base = Math.min(maxDelayMs, Math.max(serverRetryMs ?? 0, minDelayMs * 2 ** Math.max(0, failures - 1)));
      const delay = Math.max(ended.retryAfterMs ?? 0, Math.round(base * (0.5 + random() / 2)));
      report({ state: 'retrying', inMs: delay, error: ended.error });
      await sleep(delay);
    }
  })();

  return () => stop.abort();
}
