import { CauseCode } from './causes.ts';
import { type Cause, JobState, type JobRecord } from './job.ts';
import { readyPatch, transition } from './records.ts';
import type { TickContext } from './tick-context.ts';

/** Network errors in a row (no network job getting through between them) that mean the network is down. */
export const OFFLINE_AFTER_ERRORS = 2;

const ONLINE: Cause = { code: CauseCode.online, message: 'back online' };

/**
 * Whether jobs that need the network (`network: true`) may start. Offline
 * is not failure: such jobs are parked (back to `scheduled`, no attempt
 * spent) and released the moment the network is back. The scheduler is
 * offline when told so (`setOnline(false)`) or after network errors in a
 * row with nothing getting through; one error parks only its own job.
 */
export class Connectivity {
  private readonly offlineRetryMs: number;
  private explicitlyOffline = false;
  /** Until when network jobs are held back after network errors. */
  private offlineUntilMs: number | null = null;
  /** Network errors since a network job last got an answer. */
  private networkErrors = 0;
  /** Jobs this scheduler parked for being offline: released at once when it is back online. */
  private readonly parked = new Set<string>();
  private resume = false;

  constructor(offlineRetryMs: number) {
    this.offlineRetryMs = offlineRetryMs;
  }

  /** Told by the host (the browser's `online`/`offline` events). */
  set(online: boolean): void {
    this.explicitlyOffline = !online;
    if (!online) return;
    this.networkErrors = 0;
    this.offlineUntilMs = null;
    this.resume = true;
  }

  isOnline(nowMs: number): boolean {
    return !this.explicitlyOffline && (this.offlineUntilMs === null || nowMs >= this.offlineUntilMs);
  }

  /** A network job got an answer (success or not): the network works. */
  answered(): void {
    this.networkErrors = 0;
  }

  /** A network job failed without an answer: after a second in a row, hold all network work back. */
  networkError(nowMs: number): void {
    if (++this.networkErrors >= OFFLINE_AFTER_ERRORS) this.offlineUntilMs = Math.max(this.offlineUntilMs ?? 0, nowMs + this.offlineRetryMs);
  }

  /** Parks a job: back to `scheduled`, tried again after `offlineRetryMs`, with `attempt` as its attempt count. */
  park(ctx: TickContext, base: JobRecord, attempt: number, why: string): void {
    const cause: Cause = { code: CauseCode.offline, message: `parked: ${why}` };
    ctx.put(transition(base, JobState.scheduled, ctx.now, cause, { rank: null, runAtMs: ctx.now + this.offlineRetryMs, attempt }), base, cause);
    this.parked.add(base.id);
  }

  /** A parked job started (its parking ended by time): nothing to release for it any more. */
  started(id: string): void {
    this.parked.delete(id);
  }

  /** Back online: parked jobs become ready now rather than at their next try. */
  async releaseParked(ctx: TickContext): Promise<void> {
    if (!this.resume) return;
    this.resume = false;
    const ids = [...this.parked];
    this.parked.clear();
    for (const base of await ctx.tick.getMany(ids)) {
      // Only jobs still parked: one that left its parking by time may be waiting out a retry backoff now.
      if (base?.state !== JobState.scheduled || base.history.at(-1)?.cause.code !== CauseCode.offline) continue;
      ctx.put(transition(base, JobState.ready, ctx.now, ONLINE, readyPatch(ctx.now)), base, ONLINE);
    }
  }
}
