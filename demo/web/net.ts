/**
 * The demo's network switch, shared by the page and its worker over a
 * BroadcastChannel: the outbox's requests go through `demoFetch`, which
 * follows it. `online` passes requests through; `offline` fails them as a
 * dropped connection does (a TypeError: "Failed to fetch"); `503` answers
 * for the edge with 503 and `Retry-After: 2`; `lose-answers` sends each
 * request and then drops its answer, after the edge has committed it.
 */
export type NetMode = 'online' | 'offline' | '503' | 'lose-answers';

export const NET_CHANNEL = 'baton-demo-net';

const MODES: readonly NetMode[] = ['online', 'offline', '503', 'lose-answers'];
// A worker starts as its page says (the page passes the mode as the worker's name).
const named = (globalThis as { name?: string }).name as NetMode | undefined;
let mode: NetMode = named !== undefined && MODES.includes(named) ? named : 'online';
const channel = new BroadcastChannel(NET_CHANNEL);
channel.onmessage = (e: MessageEvent<{ mode: NetMode }>) => {
  mode = e.data.mode;
};

/** Tells every tab and worker of this origin which network to play. */
export function setNetMode(next: NetMode): void {
  mode = next;
  channel.postMessage({ mode: next });
}

export function netMode(): NetMode {
  return mode;
}

export async function demoFetch(request: Request): Promise<Response> {
  if (mode === 'offline') throw new TypeError('Failed to fetch');
  if (mode === '503')
    return Response.json(
      { error: { code: 'unavailable', message: 'the demo switch says 503', retryable: true } },
      { status: 503, headers: { 'retry-after': '2' } },
    );
  const response = await fetch(request);
  if (mode === 'lose-answers') {
    await response.arrayBuffer(); // the edge did the work; the answer never arrives
    throw new TypeError('Failed to fetch');
  }
  return response;
}
