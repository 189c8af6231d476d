import { className } from './class-name.ts';
import { StoreConflictError } from './errors.ts';
import { fairnessKeyOf, JobState, type JobRecord, type Json } from './job.ts';
import {
  emptyBatch,
  type ClaimRange,
  type IdempotencyRecord,
  type JobWrite,
  type ListPage,
  type ListQuery,
  type StateCounts,
  type StepRecord,
  type Store,
  type StoreBatch,
} from './store.ts';

/** Meta names: the claim journal's slots (`claims:0`, `claims:1`, …) and how many have been used. */
const SLOT = 'claims:';
const SLOTS = 'claims:slots';

interface Held {
  /** The claimed job (running). */
  readonly record: JobRecord;
  /** The version the store still has (the ready record the claim replaced). */
  readonly storedVersion: number;
  /** The journal slot that holds its claim. */
  readonly slot: number;
}

const byId = (a: JobRecord, b: JobRecord): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Claims written once per tick instead of once per job, for a store with one
 * writer (the leader tab's IndexedDB, a Durable Object's SQLite).
 *
 * A claim (ready → running) is the one write of a job's life that need not
 * be a row of its own: what a crash must not lose is that the attempt
 * started, so that a job that kills its worker every time still counts its
 * attempts to the dead-letter set. So the claims of a tick go to the store
 * as one journal entry (a meta value holding the claimed records), committed
 * with the rest of the tick before any handler starts; the job's row keeps
 * its ready version until the job's next change (its outcome, usually; a
 * lease renewal or progress of a long job) replaces it whole. Per job that
 * is two row writes (submit, outcome) instead of three.
 *
 * Reads are answered as if every claim had been written: the held jobs are
 * served from memory, left out of the ready order and the stored timers,
 * and counted as running. After a crash the journal is read back first
 * (`recover`, before any other call is answered): each journaled claim whose
 * row still has the version it replaced is written out, so the job is
 * running with its lease, and the scheduler recovers it when the lease
 * lapses, as it would have.
 *
 * Journal slots are reused once all of their jobs have been written out; a
 * slot's stale entries are harmless, as a claim is only replayed over the
 * exact version it replaced.
 */
export class DeferredClaims implements Store {
  private readonly inner: Store;
  private readonly held = new Map<string, Held>();
  /** Held jobs per (queue, priority) class, and per class with a stored timer (a deadline). */
  private readonly heldByClass = new Map<string, number>();
  private heldTimed = 0;
  /** Each slot's held ids; `null`: free. */
  private readonly slots: Array<Set<string> | null> = [];
  /** Slots the store knows of (the journal is read up to here). */
  private slotsStored = 0;
  private recovery: Promise<void> | null = null;
  private readonly defer: boolean;

  /**
   * `defer: false` writes every claim as a row (for a store that may have
   * other writers) but still replays a journal that a one-writer instance left.
   */
  constructor(inner: Store, options: { readonly defer?: boolean } = {}) {
    this.inner = inner;
    this.defer = options.defer ?? true;
  }

  /** The store underneath (its rows still hold the ready version of a held job). */
  get store(): Store {
    return this.inner;
  }

  /** Replays the journal a previous instance left (once; every other call waits for it). */
  recover(): Promise<void> {
    this.recovery ??= this.replay();
    return this.recovery;
  }

  private async replay(): Promise<void> {
    const used = await this.inner.getMeta(SLOTS);
    const count = typeof used === 'number' ? used : 0;
    if (count === 0) return;
    const latest = new Map<string, JobRecord>();
    for (let slot = 0; slot < count; slot++) {
      const entries = (await this.inner.getMeta(SLOT + slot)) as readonly JobRecord[] | undefined;
      for (const record of entries ?? []) if ((latest.get(record.id)?.version ?? -1) < record.version) latest.set(record.id, record);
    }
    const ids = [...latest.keys()];
    const stored = await this.inner.getMany(ids);
    const jobs: JobWrite[] = [];
    ids.forEach((id, i) => {
      const row = stored[i];
      const claim = latest.get(id)!;
      if (row !== undefined && row.state === JobState.ready && row.version === claim.version - 1) {
        jobs.push({ record: claim, expectedVersion: row.version, expectedState: row.state });
      }
    });
    // The journal starts over: every claim in it is now written out or was overtaken.
    await this.inner.commit({ ...emptyBatch(), jobs, meta: [{ name: SLOTS, value: 0 }] });
  }

  async commit(batch: StoreBatch): Promise<void> {
    await this.recover();
    const jobs: JobWrite[] = [];
    const claims: JobWrite[] = [];
    const released = new Set<string>();
    for (const write of batch.jobs) {
      const { record } = write;
      const held = this.held.get(record.id);
      if (held !== undefined) {
        if (write.expectedVersion !== held.record.version) {
          throw new StoreConflictError(`Job ${record.id}: expected version ${write.expectedVersion}, store has ${held.record.version}`);
        }
        // Any later change is written out (its outcome, or a lease renewal or progress of a long job), replacing
        // the ready row the claim left: a change kept in memory alone would be lost by a crash, and the replayed
        // claim would then take a version that readers had already seen with other contents.
        jobs.push({ record, expectedVersion: held.storedVersion, expectedState: JobState.ready });
        released.add(record.id);
      } else if (this.defer && write.expectedState === JobState.ready && record.state === JobState.running && write.expectedVersion !== null) {
        claims.push(write);
      } else {
        jobs.push(write);
      }
    }
    for (const id of batch.deletes) if (this.held.has(id)) released.add(id);
    const slot = claims.length === 0 ? -1 : this.freeSlot(released);
    const meta = [...batch.meta];
    if (slot >= 0) {
      meta.push({ name: SLOT + slot, value: claims.map((c) => c.record) as unknown as Json });
      if (slot >= this.slotsStored) meta.push({ name: SLOTS, value: slot + 1 });
    }
    // A claim names the version it replaces: the store checks it, as it would a row write.
    const checks = claims.map((c) => ({ id: c.record.id, version: c.expectedVersion! }));
    await this.inner.commit({ ...batch, jobs, meta, checks: [...(batch.checks ?? []), ...checks] });
    // Stored: now memory follows.
    if (slot >= this.slotsStored) this.slotsStored = slot + 1;
    for (const id of released) this.release(id);
    if (slot >= 0) {
      const ids = new Set<string>();
      for (const { record, expectedVersion } of claims) {
        this.held.set(record.id, { record, storedVersion: expectedVersion!, slot });
        ids.add(record.id);
        const name = className(record.queue, record.priority);
        this.heldByClass.set(name, (this.heldByClass.get(name) ?? 0) + 1);
        if (record.deadlineAtMs !== null) this.heldTimed++;
      }
      this.slots[slot] = ids;
    }
  }

  /** The lowest slot with no held job once `releasing` are written out. */
  private freeSlot(releasing: ReadonlySet<string>): number {
    for (let i = 0; i < this.slots.length; i++) {
      const ids = this.slots[i];
      if (ids === null || ids === undefined) return i;
      let open = false;
      for (const id of ids) {
        if (!releasing.has(id)) {
          open = true;
          break;
        }
      }
      if (!open) return i;
    }
    return this.slots.length;
  }

  private release(id: string): void {
    const held = this.held.get(id)!;
    this.held.delete(id);
    const name = className(held.record.queue, held.record.priority);
    this.heldByClass.set(name, this.heldByClass.get(name)! - 1);
    if (held.record.deadlineAtMs !== null) this.heldTimed--;
    const ids = this.slots[held.slot]!;
    ids.delete(id);
    if (ids.size === 0) this.slots[held.slot] = null;
  }

  private current(record: JobRecord | undefined): JobRecord | undefined {
    return record === undefined ? undefined : (this.held.get(record.id)?.record ?? record);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    await this.recover();
    return this.held.get(id)?.record ?? (await this.inner.get(id));
  }

  async getMany(ids: readonly string[]): Promise<ReadonlyArray<JobRecord | undefined>> {
    await this.recover();
    if (this.held.size === 0) return this.inner.getMany(ids);
    const missing = ids.filter((id) => !this.held.has(id));
    const found = missing.length === 0 ? [] : await this.inner.getMany(missing);
    const byIdFound = new Map<string, JobRecord | undefined>(missing.map((id, i) => [id, found[i]]));
    return ids.map((id) => this.held.get(id)?.record ?? byIdFound.get(id));
  }

  async claimable(range: ClaimRange, limit: number): Promise<readonly JobRecord[]> {
    await this.recover();
    const extra = this.heldByClass.get(className(range.queue, range.priority)) ?? 0;
    if (extra === 0) return this.inner.claimable(range, limit);
    // Held jobs still sit in the stored ready order: read past them.
    const { perKey } = range;
    const rows = await this.inner.claimable(perKey === undefined ? range : { ...range, perKey: perKey + extra }, limit + extra);
    const out: JobRecord[] = [];
    let key: string | undefined;
    let taken = 0;
    for (const row of rows) {
      if (this.held.has(row.id)) continue;
      if (perKey !== undefined) {
        const k = fairnessKeyOf(row);
        if (k !== key) {
          key = k;
          taken = 0;
        }
        if (taken++ >= perKey) continue;
      }
      out.push(row);
      if (out.length === limit) break;
    }
    return out;
  }

  async due(nowMs: number, limit: number): Promise<readonly JobRecord[]> {
    await this.recover();
    if (this.held.size === 0) return this.inner.due(nowMs, limit);
    const stored = (await this.inner.due(nowMs, limit + this.heldTimed)).filter((r) => !this.held.has(r.id));
    const mine: JobRecord[] = [];
    for (const { record } of this.held.values()) if (record.dueAtMs !== null && record.dueAtMs <= nowMs) mine.push(record);
    if (mine.length === 0) return stored.slice(0, limit);
    return [...stored, ...mine].sort((a, b) => a.dueAtMs! - b.dueAtMs! || byId(a, b)).slice(0, limit);
  }

  async nextDueAtMs(): Promise<number | null> {
    await this.recover();
    if (this.held.size === 0) return this.inner.nextDueAtMs();
    let next: number | null;
    if (this.heldTimed === 0) next = await this.inner.nextDueAtMs();
    else {
      // A held job's stored row may carry the earliest timer (its deadline): look past those.
      const first = (await this.inner.due(Number.POSITIVE_INFINITY, this.heldTimed + 1)).find((r) => !this.held.has(r.id));
      next = first?.dueAtMs ?? null;
    }
    for (const { record } of this.held.values()) if (record.dueAtMs !== null && (next === null || record.dueAtMs < next)) next = record.dueAtMs;
    return next;
  }

  async waitingOn(id: string): Promise<readonly JobRecord[]> {
    await this.recover();
    return this.inner.waitingOn(id);
  }

  async lastWithKey(key: string): Promise<JobRecord | undefined> {
    await this.recover();
    return this.current(await this.inner.lastWithKey(key));
  }

  async idempotency(key: string): Promise<IdempotencyRecord | undefined> {
    await this.recover();
    return this.inner.idempotency(key);
  }

  async steps(jobId: string): Promise<readonly StepRecord[]> {
    await this.recover();
    return this.inner.steps(jobId);
  }

  async getMeta(name: string): Promise<Json | undefined> {
    await this.recover();
    return this.inner.getMeta(name);
  }

  async counts(): Promise<StateCounts> {
    await this.recover();
    const counts = await this.inner.counts();
    if (this.held.size === 0) return counts;
    const ready = [...counts.ready];
    const running = [...counts.running];
    for (const { record } of this.held.values()) {
      ready[record.priority]!--;
      running[record.priority]!++;
    }
    return { ...counts, ready, running };
  }

  async list(query: ListQuery): Promise<ListPage> {
    await this.recover();
    if (this.held.size === 0) return this.inner.list(query);
    const limit = query.limit ?? 100;
    const matches = (r: JobRecord) => (query.queue === undefined || r.queue === query.queue) && (query.type === undefined || r.type === query.type);
    if (query.state === JobState.ready) {
      // The stored page holds held jobs as ready: read past them.
      const page = await this.inner.list({ ...query, limit: limit + this.held.size });
      const jobs = page.jobs.filter((r) => !this.held.has(r.id));
      const more = jobs.length > limit || page.cursor !== null;
      const kept = jobs.slice(0, limit);
      return { jobs: kept, cursor: more ? (kept.at(-1)?.id ?? page.cursor) : null };
    }
    if (query.state === JobState.running) {
      const page = await this.inner.list(query);
      const desc = query.order === 'desc';
      const cursor = query.cursor;
      const mine = [...this.held.values()].map((h) => h.record).filter((r) => matches(r) && (cursor === undefined || (desc ? r.id < cursor : r.id > cursor)));
      // Stored rows past the page's end are not known yet: held ones beyond it wait for the next page.
      const end = page.cursor === null ? null : page.jobs.at(-1)!.id;
      const merged = [...page.jobs, ...mine.filter((r) => end === null || (desc ? r.id > end : r.id < end))].sort((a, b) => byId(a, b) * (desc ? -1 : 1));
      const kept = merged.slice(0, limit);
      const more = merged.length > limit || page.cursor !== null;
      return { jobs: kept, cursor: more ? kept.at(-1)!.id : null };
    }
    if (query.state !== undefined) return this.inner.list(query);
    const page = await this.inner.list(query);
    return { jobs: page.jobs.map((r) => this.held.get(r.id)?.record ?? r), cursor: page.cursor };
  }
}
