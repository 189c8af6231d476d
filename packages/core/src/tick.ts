import { className } from './class-name.ts';
import { fairnessKeyOf, isTerminal } from './job.ts';
import type { Json, JobRecord, JobState } from './job.ts';
import type { ClaimRange, IdempotencyRecord, JobWrite, StepRecord, Store, StoreBatch } from './store.ts';

const byClaimOrder = (a: JobRecord, b: JobRecord): number => {
  const ka = fairnessKeyOf(a);
  const kb = fairnessKeyOf(b);
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a.rank! - b.rank! || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
};
/** What a store indexes once, at insert (see `JobWrite`). */
const sameFixedFields = (a: JobRecord, b: JobRecord): boolean =>
  a.queue === b.queue && a.type === b.type && a.key === b.key && (a.fairnessKey ?? null) === (b.fairnessKey ?? null);
const byDue = (a: JobRecord, b: JobRecord): number => a.dueAtMs! - b.dueAtMs! || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * One scheduler tick's view of the store: reads see the tick's own writes
 * (an overlay), and every write of the tick leaves as one `StoreBatch`. A
 * record written several times in a tick becomes one write that expects the
 * version the store had.
 */
export class Tick {
  private readonly store: Store;
  private readonly overlay = new Map<string, JobRecord>();
  /** The stored version each overlaid record replaces (`null`: inserted this tick). */
  private readonly baseVersion = new Map<string, { readonly version: number; readonly state: JobState } | null>();
  private readonly keyTails = new Map<string, JobRecord>();
  private readonly idempotencyPuts = new Map<string, IdempotencyRecord>();
  private readonly idempotencyDeletes = new Set<string>();
  private readonly stepPuts: StepRecord[] = [];
  private readonly metaPuts = new Map<string, Json>();
  private readonly deletes = new Set<string>();
  /** Waiting records written this tick, by what they wait on. */
  private readonly localWaiters = new Map<string, JobRecord[]>();
  /** Stored rows this tick moved out of an index: a query over the store fetches that many extra. */
  private readonly rankedUpdates = new Map<string, number>();
  /** This tick's ready records, by queue and priority class: what a claim read adds to the store's. */
  private readonly localRanked = new Map<string, Set<string>>();
  private timedUpdates = 0;
  /** Jobs this tick made ready (a claim pass reads this to see whether to look again). */
  readied = 0;

  constructor(store: Store) {
    this.store = store;
  }

  /** Records written this tick, in write order. */
  written(): IterableIterator<JobRecord> {
    return this.overlay.values();
  }

  /** This tick's version of a record, if it wrote one. */
  peek(id: string): JobRecord | undefined {
    return this.overlay.get(id);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    if (this.deletes.has(id)) return undefined;
    return this.overlay.get(id) ?? (await this.store.get(id));
  }

  async getMany(ids: readonly string[]): Promise<ReadonlyArray<JobRecord | undefined>> {
    const missing = ids.filter((id) => !this.overlay.has(id));
    const fetched = missing.length === 0 ? [] : await this.store.getMany(missing);
    const byId = new Map<string, JobRecord | undefined>();
    for (const [i, id] of missing.entries()) byId.set(id, fetched[i]);
    return ids.map((id) => (this.deletes.has(id) ? undefined : (this.overlay.get(id) ?? byId.get(id))));
  }

  /** `record` replaces `base` (the version this tick read, or `null` for a new job). */
  put(record: JobRecord, base: JobRecord | null): void {
    if (base !== null && !sameFixedFields(record, base)) throw new Error(`Job ${record.id}: its queue, type and keys are fixed at submit`);
    if (record.state === 'ready' && base?.state !== 'ready') this.readied++;
    if (!this.baseVersion.has(record.id)) {
      this.baseVersion.set(record.id, base === null ? null : { version: base.version, state: base.state });
      if (base !== null && base.rank !== null) this.rankedUpdates.set(base.queue, (this.rankedUpdates.get(base.queue) ?? 0) + 1);
      if (base !== null && base.dueAtMs !== null) this.timedUpdates++;
    }
    const previous = this.overlay.get(record.id);
    if (previous !== undefined && previous.rank !== null) this.localRanked.get(classOf(previous))!.delete(record.id);
    if (record.rank !== null) {
      const name = classOf(record);
      const set = this.localRanked.get(name);
      if (set === undefined) this.localRanked.set(name, new Set([record.id]));
      else set.add(record.id);
    }
    this.overlay.set(record.id, record);
    if (base === null && record.key !== null) this.keyTails.set(record.key, record);
    if (record.state === 'waiting') {
      for (const blocker of record.dependsOn) this.indexWaiter(blocker, record);
      if (record.after !== null) this.indexWaiter(record.after, record);
    }
  }

  private indexWaiter(blocker: string, record: JobRecord): void {
    const list = this.localWaiters.get(blocker);
    if (list === undefined) this.localWaiters.set(blocker, [record]);
    else list.push(record);
  }

  delete(id: string): void {
    this.deletes.add(id);
  }

  /** Whether this tick deletes the job. */
  isDeleted(id: string): boolean {
    return this.deletes.has(id);
  }

  /** Whether this tick holds a ready job of the queue's priority class. */
  hasRanked(queue: string, priority: number): boolean {
    return (this.localRanked.get(className(queue, priority))?.size ?? 0) > 0;
  }

  /**
   * The store's claim read with this tick's writes over it. Stored rows this
   * tick moved out of the order are fetched extra (per key too, with
   * `perKey`), so every key with a ready job still shows one. With `perKey`
   * a short result does not mean the range is exhausted: read on after its
   * last key.
   */
  async claimable(range: ClaimRange, limit: number): Promise<JobRecord[]> {
    if (limit <= 0) return [];
    const extra = this.rankedUpdates.get(range.queue) ?? 0;
    const { perKey } = range;
    const read = perKey === undefined ? range : { ...range, perKey: perKey + extra };
    const stored = await this.store.claimable(read, limit + extra);
    // A full read may stop inside the range: this tick's own rows past its last key wait for the next read.
    const last = stored.length === limit + extra && stored.length > 0 ? fairnessKeyOf(stored[stored.length - 1]!) : null;
    const local: JobRecord[] = [];
    for (const id of this.localRanked.get(className(range.queue, range.priority)) ?? []) {
      const record = this.overlay.get(id)!;
      const key = fairnessKeyOf(record);
      if (range.key !== null && (key < range.key || (key === range.key && range.after))) continue;
      if (last !== null && perKey !== undefined && key > last) continue;
      local.push(record);
    }
    const merged = this.merge(stored, local, perKey === undefined ? limit : stored.length + local.length, byClaimOrder, () => true);
    if (perKey === undefined) return merged;
    const out: JobRecord[] = [];
    let current: string | undefined;
    let taken = 0;
    for (const record of merged) {
      const key = fairnessKeyOf(record);
      if (key !== current) {
        current = key;
        taken = 0;
      }
      if (taken++ < perKey) out.push(record);
      if (out.length === limit) break;
    }
    return out;
  }

  async due(nowMs: number, limit: number): Promise<JobRecord[]> {
    const stored = await this.store.due(nowMs, limit + this.timedUpdates);
    const local: JobRecord[] = [];
    for (const record of this.overlay.values()) if (record.dueAtMs !== null && record.dueAtMs <= nowMs) local.push(record);
    return this.merge(stored, local, limit, byDue, (r) => r.dueAtMs !== null && r.dueAtMs <= nowMs);
  }

  async waitingOn(id: string): Promise<JobRecord[]> {
    const stored = await this.store.waitingOn(id);
    const out: JobRecord[] = [];
    const seen = new Set<string>();
    for (const record of stored) {
      seen.add(record.id);
      const current = this.overlay.get(record.id) ?? record;
      if (current.state === 'waiting' && !this.deletes.has(record.id)) out.push(current);
    }
    for (const written of this.localWaiters.get(id) ?? []) {
      const current = this.overlay.get(written.id)!;
      if (seen.has(current.id) || current.state !== 'waiting' || this.deletes.has(current.id)) continue;
      seen.add(current.id);
      out.push(current);
    }
    return out;
  }

  async lastWithKey(key: string): Promise<JobRecord | undefined> {
    const local = this.keyTails.get(key);
    if (local !== undefined) return this.overlay.get(local.id);
    const stored = await this.store.lastWithKey(key);
    return stored === undefined ? undefined : (this.overlay.get(stored.id) ?? stored);
  }

  async idempotency(key: string): Promise<IdempotencyRecord | undefined> {
    if (this.idempotencyDeletes.has(key)) return undefined;
    return this.idempotencyPuts.get(key) ?? (await this.store.idempotency(key));
  }

  deleteIdempotency(key: string): void {
    this.idempotencyPuts.delete(key);
    this.idempotencyDeletes.add(key);
  }

  putIdempotency(record: IdempotencyRecord): void {
    this.idempotencyDeletes.delete(record.key);
    this.idempotencyPuts.set(record.key, record);
  }

  async getMeta(name: string): Promise<Json | undefined> {
    return this.metaPuts.has(name) ? this.metaPuts.get(name) : await this.store.getMeta(name);
  }

  putMeta(name: string, value: Json): void {
    this.metaPuts.set(name, value);
  }

  putStep(step: StepRecord): void {
    this.stepPuts.push(step);
  }

  /** A job's steps: the store's, and this tick's over them. */
  async stepsOf(jobId: string): Promise<StepRecord[]> {
    const byName = new Map((await this.store.steps(jobId)).map((s) => [s.name, s]));
    for (const step of this.stepPuts) if (step.jobId === jobId) byName.set(step.name, step);
    return [...byName.values()];
  }

  /** How many more jobs are ready, and waiting, after this tick than before it: one pass. */
  deltas(): { readonly ready: number; readonly waiting: number; readonly unfinished: number } {
    let ready = 0;
    let waiting = 0;
    let unfinished = 0;
    for (const [id, record] of this.overlay) {
      const was = this.baseVersion.get(id)?.state;
      const is = this.deletes.has(id) ? undefined : record.state;
      ready += (is === 'ready' ? 1 : 0) - (was === 'ready' ? 1 : 0);
      waiting += (is === 'waiting' ? 1 : 0) - (was === 'waiting' ? 1 : 0);
      unfinished += (is !== undefined && !isTerminal(is) ? 1 : 0) - (was !== undefined && !isTerminal(was) ? 1 : 0);
    }
    return { ready, waiting, unfinished };
  }

  /** Each record whose job this tick made unfinished (+1: submitted) or finished (−1). */
  *unfinishedChanges(): Generator<readonly [JobRecord, number]> {
    for (const [id, record] of this.overlay) {
      const was = this.baseVersion.get(id)?.state;
      const is = this.deletes.has(id) ? undefined : record.state;
      const delta = (is !== undefined && !isTerminal(is) ? 1 : 0) - (was !== undefined && !isTerminal(was) ? 1 : 0);
      if (delta !== 0) yield [record, delta];
    }
  }

  /** Whether this tick wrote any waiting job. */
  hasLocalWaiters(): boolean {
    return this.localWaiters.size > 0;
  }

  batch(): StoreBatch {
    const jobs: JobWrite[] = [];
    for (const [id, record] of this.overlay) {
      const base = this.baseVersion.get(id)!;
      if (!this.deletes.has(id)) jobs.push({ record, expectedVersion: base?.version ?? null, expectedState: base?.state ?? null });
    }
    // A job inserted and deleted in the same tick never reaches the store.
    const deletes = [...this.deletes].filter((id) => this.baseVersion.get(id) !== null);
    return {
      jobs,
      deletes,
      idempotency: [...this.idempotencyPuts.values()],
      idempotencyDeletes: [...this.idempotencyDeletes],
      steps: this.stepPuts,
      meta: [...this.metaPuts].map(([name, value]) => ({ name, value })),
    };
  }

  /** Store rows overlaid by this tick's versions, plus this tick's own, best `limit` in order. */
  private merge(
    stored: readonly JobRecord[],
    local: JobRecord[],
    limit: number,
    order: (a: JobRecord, b: JobRecord) => number,
    qualifies: (r: JobRecord) => boolean,
  ): JobRecord[] {
    const out: JobRecord[] = [];
    for (const record of stored) {
      if (this.overlay.has(record.id) || this.deletes.has(record.id)) continue; // `local` has its current version
      out.push(record);
    }
    for (const record of local) if (qualifies(record) && !this.deletes.has(record.id)) out.push(record);
    if (out.length <= limit && local.length === 0) return out;
    return smallest(out, limit, order);
  }
}

function classOf(record: JobRecord): string {
  return className(record.queue, record.priority);
}

/** The `k` smallest by `order`, sorted; linear for small `k`. */
function smallest<T>(items: T[], k: number, order: (a: T, b: T) => number): T[] {
  if (items.length <= k || k > 64) return items.sort(order).slice(0, k);
  const best: T[] = [];
  for (const item of items) {
    if (best.length === k && order(item, best[k - 1]!) >= 0) continue;
    let i = best.length < k ? best.length : k - 1;
    if (best.length < k) best.push(item);
    while (i > 0 && order(item, best[i - 1]!) < 0) {
      best[i] = best[i - 1]!;
      i--;
    }
    best[i] = item;
  }
  return best;
}
