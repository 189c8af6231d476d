import { dedupeRecordKey } from './dedupe.ts';
import { isTerminal, type JobRecord, type JobState } from './job.ts';
import type { ResolvedRetention } from './retention-options.ts';
import type { Store } from './store.ts';
import type { TickContext } from './tick-context.ts';

/** Jobs read per list call while sweeping. */
const PAGE = 100;

/**
 * Bounded storage: finished jobs are deleted once they are older than their
 * state's retention (their steps go with them, and their idempotency key
 * once it has expired: a job is kept while its key still deduplicates). The
 * sweep walks each state in submit order, a page at a time, at most `batch`
 * deletions a tick; a job created after the cutoff ends the walk (it cannot
 * have finished before it), and the next walk starts over, so a job skipped
 * while it was young is found once it is old.
 */
export class Retention {
  private readonly options: ResolvedRetention;
  private nextAtMs = Number.NEGATIVE_INFINITY;
  /** Where each state's walk goes on from (the last job it looked at), or undefined to start over. */
  private readonly cursors = new Map<JobState, string>();
  /**
   * The earliest time a finished job this scheduler knows of becomes old
   * enough to delete (`null`: none known), so that an idle scheduler still
   * wakes to sweep: its last window of jobs is not kept until other work comes.
   */
  private pendingAtMs: number | null = null;
  /** Jobs deleted since this scheduler started. */
  deleted = 0;

  constructor(options: ResolvedRetention) {
    this.options = options;
  }

  /** Whether a sweep is due (checked before calling `sweep`, so most ticks pay no await for it). */
  due(nowMs: number): boolean {
    return nowMs >= this.nextAtMs;
  }

  /** When a sweep would find something to delete (not before the next sweep is due), or `null` if nothing is known to be waiting. */
  nextWakeMs(): number | null {
    return this.pendingAtMs === null ? null : Math.max(this.pendingAtMs, this.nextAtMs);
  }

  /** A tick committed: jobs it finished become deletable once past their state's retention. */
  noteWritten(records: Iterable<JobRecord>, deleted: (id: string) => boolean): void {
    for (const record of records) {
      if (record.finishedAtMs === null || !isTerminal(record.state) || deleted(record.id)) continue;
      this.pending(record.finishedAtMs + this.keepOf(record.state));
    }
  }

  private keepOf(state: JobState): number {
    for (const [s, keepMs] of this.options.keepMs) if (s === state) return keepMs;
    return Number.POSITIVE_INFINITY;
  }

  private pending(atMs: number): void {
    if (atMs !== Number.POSITIVE_INFINITY && (this.pendingAtMs === null || atMs < this.pendingAtMs)) this.pendingAtMs = atMs;
  }

  /** Deletes what is past its retention, up to a batch (call it when `due`); returns whether more is left for the next tick. */
  async sweep(ctx: TickContext, store: Store): Promise<boolean> {
    let budget = this.options.batch;
    // Found again by the walk: what it leaves (too young, keys unexpired) sets the next wake-up.
    this.pendingAtMs = null;
    for (const [state, keepMs] of this.options.keepMs) {
      if (keepMs === Number.POSITIVE_INFINITY) continue;
      const cutoff = ctx.now - keepMs;
      while (budget > 0) {
        const cursor = this.cursors.get(state);
        const page = await store.list({ state, order: 'asc', limit: PAGE, ...(cursor === undefined ? {} : { cursor }) });
        let ended = page.cursor === null;
        for (const listed of page.jobs) {
          if (listed.createdAtMs > cutoff) {
            // It and every later job finished after it was created: none is deletable before then.
            this.pending(listed.createdAtMs + keepMs);
            ended = true;
            break;
          }
          if (budget === 0) break;
          this.cursors.set(state, listed.id);
          if (await this.remove(ctx, listed, state, cutoff, keepMs)) budget--;
        }
        if (ended) {
          this.cursors.delete(state);
          break;
        }
      }
    }
    // Work left: go on next tick. Else rest.
    this.nextAtMs = budget === 0 ? ctx.now : ctx.now + this.options.everyMs;
    return budget === 0;
  }

  /** Deletes `listed` if it is still finished in `state` past `cutoff`, and its key has expired. */
  private async remove(ctx: TickContext, listed: JobRecord, state: JobState, cutoff: number, keepMs: number): Promise<boolean> {
    const job = ctx.tick.peek(listed.id) ?? listed;
    if (job.state !== state || job.finishedAtMs === null) return false;
    if (job.finishedAtMs > cutoff) {
      this.pending(job.finishedAtMs + keepMs);
      return false;
    }
    if (job.idempotencyKey !== null) {
      const key = await ctx.tick.idempotency(job.idempotencyKey);
      if (key !== undefined && key.jobId === job.id) {
        if (key.expiresAtMs > ctx.now) {
          this.pending(key.expiresAtMs);
          return false;
        }
        ctx.tick.deleteIdempotency(key.key);
      }
    }
    // Its dedupe key, if it is still the key's last job: a finished job holds nothing back.
    if (job.dedupe !== null && job.dedupe !== undefined) {
      const name = dedupeRecordKey(job.dedupe.key);
      if ((await ctx.tick.idempotency(name))?.jobId === job.id) ctx.tick.deleteIdempotency(name);
    }
    ctx.tick.delete(job.id);
    this.deleted++;
    return true;
  }
}
