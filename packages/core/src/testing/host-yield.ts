/**
 * One turn of the host's event loop: every pending microtask runs before it
 * ends, and I/O completions that were ready get their turn. The one place in
 * @baton/core that touches a host scheduling primitive, and only in test
 * support: it moves no time and feeds nothing to the scheduler (the
 * `FakeClock` does that).
 */
export function yieldToHost(): Promise<void> {
  const host = globalThis as {
    setImmediate?: (fn: () => void) => unknown;
    MessageChannel?: new () => { port1: { onmessage: (() => void) | null; close(): void }; port2: { postMessage(v: unknown): void; close(): void } };
    setTimeout: (fn: () => void, ms: number) => unknown;
  };
  return new Promise((resolve) => {
    if (typeof host.setImmediate === 'function') {
      host.setImmediate(resolve);
    } else if (typeof host.MessageChannel === 'function') {
      // Unlike a nested setTimeout(0), a message is not clamped to 4 ms by browsers.
      const channel = new host.MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        channel.port2.close();
        resolve();
      };
      channel.port2.postMessage(null);
    } else {
      host.setTimeout(resolve, 0);
    }
  });
}
