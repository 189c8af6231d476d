import { TimeoutError } from './errors.ts';

/**
 * Signals (`signal(jobId, name, payload)`, `ctx.waitForSignal(name)`) are
 * kept as steps of the job they are sent to, under `\u0000signal:<name>`:
 * durable with the job, read by a handler as its steps are, the first of a
 * name kept (a replaying handler must see the payload it saw before).
 */
export const SIGNAL_STEP = '\u0000signal:';

/** The step under which the n-th wait of a handler stores how long it waits. */
export const WAIT_STEP = '\u0000wait:';

export function signalStep(name: string): string {
  return `${SIGNAL_STEP}${name}`;
}

/** A wait for a signal ran out: a `TimeoutError` (classified as a timeout, retried as the job's policy says). */
export class SignalTimeoutError extends TimeoutError {
  readonly signal: string;
  constructor(signal: string, timeoutMs: number | null) {
    super(`no signal ${JSON.stringify(signal)} came${timeoutMs === null ? '' : ` in ${timeoutMs} ms`}`);
    this.signal = signal;
  }
}
