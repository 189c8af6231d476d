import { DeferredClaims } from '@baton/core/advanced';
import {
  JobState,
  isTerminal,
  PRIORITY_LEVELS,
  StorageFullError,
  StoreConflictError,
  type IdempotencyRecord,
  type ClaimRange,
  type JobRecord,
  type Json,
  type ListPage,
  type ListQuery,
  type StateCounts,
  type StepRecord,
  type Store,
  type StoreBatch,
} from '@baton/core';
import { openDB, unwrap, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';

/**
 * The stored form of a job: the record, plus what the waiting index needs
 * (`_blockers`) and, while it is ready, its fairness key as the claim index
 * needs it (`_fair`: `''` for none, as an index key part cannot be null).
 */
type StoredJob = JobRecord & { _blockers?: string[]; _fair?: string };

interface BatonDB extends DBSchema {
  jobs: {
    key: string;
    value: StoredJob;
    indexes: {
      // IndexedDB leaves a record out of an index when a key part is null:
      // only ready jobs are in `fair` (queue, priority, fairness key, rank, id), only timed jobs in `due`.
      fair: [string, number, string, number, string];
      due: [number, string];
      key: [string, string];
      state: [string, string];
      counts: [string, number];
      blockers: string;
    };
  };
  idempotency: { key: string; value: IdempotencyRecord };
  steps: { key: [string, string]; value: StepRecord };
  meta: { key: string; value: { name: string; value: Json } };
}

/**
 * The schema, one migration per version, applied in order from the version
 * a database has: a database written by any earlier release opens and
 * keeps its jobs.
 */
const MIGRATIONS: ReadonlyArray<(db: IDBPDatabase<BatonDB>, tx: IDBPTransaction<BatonDB, StoreNames<BatonDB>[], 'versionchange'>) => void> = [
  // v1: jobs with the claim, timer, key, state, count and blocker indexes; idempotency keys; steps; meta.
  (db) => {
    const jobs = db.createObjectStore('jobs', { keyPath: 'id' });
    unwrap(jobs).createIndex('claim', ['queue', 'rank', 'id']); // replaced by `fair` in v3
    jobs.createIndex('due', ['dueAtMs', 'id']);
    jobs.createIndex('key', ['key', 'id']);
    jobs.createIndex('state', ['state', 'id']);
    jobs.createIndex('counts', ['state', 'priority']);
    jobs.createIndex('blockers', '_blockers', { multiEntry: true });
    db.createObjectStore('idempotency', { keyPath: 'key' });
    // v1 also indexed steps by job: [jobId, name] keys already serve that as a key range.
    (db.createObjectStore('steps', { keyPath: ['jobId', 'name'] }) as unknown as IDBObjectStore).createIndex('job', 'jobId');
    db.createObjectStore('meta', { keyPath: 'name' });
  },
  // v2: drop the steps-by-job index, which every step write paid for and nothing needs.
  (_db, tx) => (tx.objectStore('steps') as unknown as IDBObjectStore).deleteIndex('job'),
  // v3: claim order by priority class and fairness key. Ready jobs are found by the old index, given
  // their `_fair` key part, and the old index goes once they all have it.
  (_db, tx) => {
    const jobs = unwrap(tx.objectStore('jobs'));
    jobs.createIndex('fair', ['queue', 'priority', '_fair', 'rank', 'id']);
    const request = jobs.index('claim').openCursor();
    request.onsuccess = () => {
      const cursor = request.result;
      if (cursor === null) {
        jobs.deleteIndex('claim');
        return;
      }
      cursor.update({ ...cursor.value, _fair: cursor.value.fairnessKey ?? '' });
      cursor.continue();
    };
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export interface IdbStoreOptions {
  /** The database name. @default 'baton' */
  readonly name?: string;
  /**
   * This instance is the database's only writer (its holder of a Web Lock,
   * as `hostScheduler` makes sure): it then trusts the versions it wrote
   * itself and skips reading a record back before updating it, and stores a
   * tick's claims as one journal record (`DeferredClaims`): another instance
   * reading the database meanwhile sees a claimed job still ready. Leave it
   * off when several instances may write at once. @default false
   */
  readonly exclusive?: boolean;
}

/**
 * The `Store` on IndexedDB (through `idb`). A job is one record; the claim
 * order and timers are compound indexes, and a batch commits in one
 * read-write transaction that awaits nothing but its own requests, so it
 * never auto-commits half-way. A stale version aborts the whole transaction.
 * An exclusive writer journals a tick's claims as one record instead of
 * rewriting each claimed job (`DeferredClaims`): two writes per job.
 */
export class IdbStore extends DeferredClaims {
  private readonly tables: IdbTables;

  private constructor(tables: IdbTables, exclusive: boolean) {
    super(tables, { defer: exclusive });
    this.tables = tables;
  }

  /** Opens (and creates or upgrades) the database, and replays the claims a crashed writer journaled. */
  static async open(options: IdbStoreOptions = {}): Promise<IdbStore> {
    const exclusive = options.exclusive ?? false;
    const store = new IdbStore(await IdbTables.open(options.name ?? 'baton', exclusive), exclusive);
    await store.recover();
    return store;
  }

  /**
   * Calls `listener` once if the connection closes under the store: another
   * tab asked for a newer schema (the store lets it), or the browser closed
   * it. The store cannot be used after that; open it again.
   */
  onClosed(listener: () => void): void {
    this.tables.onClosed(listener);
  }

  close(): void {
    this.tables.close();
  }
}

/** The object stores and their indexes, as the `Store` contract asks of them. */
class IdbTables implements Store {
  private readonly db: IDBPDatabase<BatonDB>;
  /** Exclusive mode: the version this instance last committed for each live job it wrote. */
  private readonly versions: Map<string, number> | null;
  /**
   * Exclusive mode: live jobs this instance inserted and wrote no step for
   * (it writes every step), whose deletion needs no steps delete.
   */
  private readonly stepless: Set<string> | null;

  private constructor(db: IDBPDatabase<BatonDB>, exclusive: boolean) {
    this.db = db;
    this.versions = exclusive ? new Map() : null;
    this.stepless = exclusive ? new Set() : null;
  }

  static async open(name: string, exclusive: boolean): Promise<IdbTables> {
    const closed = new Set<() => void>();
    const lost = () => {
      for (const listener of closed) listener();
      closed.clear();
    };
    const db: IDBPDatabase<BatonDB> = await openDB<BatonDB>(name, SCHEMA_VERSION, {
      upgrade(database, oldVersion, _newVersion, transaction) {
        for (let version = oldVersion; version < MIGRATIONS.length; version++) MIGRATIONS[version]!(database, transaction);
      },
      // Another tab wants a newer schema: let it, rather than block it.
      blocking() {
        db.close();
        lost();
      },
      // The browser closed the connection (storage cleared, the disk gone).
      terminated: lost,
    });
    const store = new IdbTables(db, exclusive);
    store.closedListeners = closed;
    return store;
  }

  private closedListeners = new Set<() => void>();

  onClosed(listener: () => void): void {
    this.closedListeners.add(listener);
  }

  close(): void {
    this.db.close();
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return strip(await this.db.get('jobs', id));
  }

  async getMany(ids: readonly string[]): Promise<ReadonlyArray<JobRecord | undefined>> {
    const tx = this.db.transaction('jobs');
    const found = await Promise.all(ids.map((id) => tx.store.get(id)));
    await tx.done;
    return found.map(strip);
  }

  async claimable(range: ClaimRange, limit: number): Promise<readonly JobRecord[]> {
    const { queue, priority, key, after } = range;
    // Every key part after the fairness key at its extreme: the bound falls before or after all of that key's jobs.
    const lower = key === null ? [queue, priority, ''] : [queue, priority, key, after ? Infinity : -Infinity];
    const bounds = IDBKeyRange.bound(lower, [queue, priority, []], key !== null && after);
    const { perKey } = range;
    if (perKey === undefined) return (await this.db.getAllFromIndex('jobs', 'fair', bounds, limit)).map((r) => strip(r)!);
    // A skip scan: a cursor opened past each key in turn (an opened range seeks; Chromium's
    // `continue(key)` steps through every job of the key instead), the first `perKey` jobs of each.
    const out: JobRecord[] = [];
    const tx = this.db.transaction('jobs');
    const index = tx.store.index('fair');
    let from = bounds;
    while (out.length < limit) {
      let cursor = await index.openCursor(from);
      if (cursor === null) break;
      const fair = cursor.value._fair!;
      for (let taken = 0; cursor !== null && cursor.value._fair === fair && taken < perKey && out.length < limit; taken++) {
        out.push(strip(cursor.value)!);
        if (taken + 1 < perKey && out.length < limit) cursor = await cursor.continue();
      }
      from = IDBKeyRange.bound([queue, priority, fair, Infinity], [queue, priority, []], true);
    }
    await tx.done;
    return out;
  }

  async due(nowMs: number, limit: number): Promise<readonly JobRecord[]> {
    const range = IDBKeyRange.bound([-Infinity, ''], [nowMs, '\uffff']);
    return (await this.db.getAllFromIndex('jobs', 'due', range, limit)).map((r) => strip(r)!);
  }

  async nextDueAtMs(): Promise<number | null> {
    const cursor = await this.db.transaction('jobs').store.index('due').openCursor();
    return cursor === null ? null : cursor.value.dueAtMs;
  }

  async waitingOn(id: string): Promise<readonly JobRecord[]> {
    const found = await this.db.getAllFromIndex('jobs', 'blockers', id);
    return found
      .filter((r) => r.state === JobState.waiting)
      .map((r) => strip(r)!)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async lastWithKey(key: string): Promise<JobRecord | undefined> {
    const cursor = await this.db
      .transaction('jobs')
      .store.index('key')
      .openCursor(IDBKeyRange.bound([key, ''], [key, '\uffff']), 'prev');
    return cursor === null ? undefined : strip(cursor.value);
  }

  async idempotency(key: string): Promise<IdempotencyRecord | undefined> {
    return this.db.get('idempotency', key);
  }

  async steps(jobId: string): Promise<readonly StepRecord[]> {
    return this.db.getAll('steps', IDBKeyRange.bound([jobId, ''], [jobId, '\uffff']));
  }

  async list(query: ListQuery): Promise<ListPage> {
    const limit = query.limit ?? 100;
    const desc = query.order === 'desc';
    const cursorId = query.cursor;
    // Ids past the cursor, on the state index ([state, id]) or on the store's keys.
    const range =
      query.state !== undefined
        ? desc
          ? IDBKeyRange.bound([query.state, ''], [query.state, cursorId ?? '\uffff'], false, cursorId !== undefined)
          : IDBKeyRange.bound([query.state, cursorId ?? ''], [query.state, '\uffff'], cursorId !== undefined, false)
        : cursorId === undefined
          ? null
          : desc
            ? IDBKeyRange.upperBound(cursorId, true)
            : IDBKeyRange.lowerBound(cursorId, true);
    if (!desc && query.queue === undefined && query.type === undefined) {
      // Nothing to filter: one request for the page (a cursor costs a request per job: ~2.8× the time of a page of 100).
      const found =
        query.state !== undefined ? await this.db.getAllFromIndex('jobs', 'state', range, limit + 1) : await this.db.getAll('jobs', range, limit + 1);
      const jobs = found.slice(0, limit).map((r) => strip(r)!);
      return { jobs, cursor: found.length > limit ? jobs[jobs.length - 1]!.id : null };
    }
    const tx = this.db.transaction('jobs');
    const direction = desc ? 'prev' : 'next';
    const source = query.state !== undefined ? tx.store.index('state').openCursor(range, direction) : tx.store.openCursor(range, direction);
    const jobs: JobRecord[] = [];
    let more = false;
    for (let cursor = await source; cursor !== null; cursor = await cursor.continue()) {
      const r = cursor.value;
      if ((query.queue !== undefined && r.queue !== query.queue) || (query.type !== undefined && r.type !== query.type)) continue;
      if (jobs.length === limit) {
        more = true;
        break;
      }
      jobs.push(strip(r)!);
    }
    await tx.done;
    return { jobs, cursor: more ? jobs[jobs.length - 1]!.id : null };
  }

  async counts(): Promise<StateCounts> {
    const index = this.db.transaction('jobs').store.index('counts');
    const counts = {} as Record<JobState, number[]>;
    const work: Promise<void>[] = [];
    for (const state of Object.values(JobState)) {
      counts[state] = new Array<number>(PRIORITY_LEVELS).fill(0);
      for (let p = 0; p < PRIORITY_LEVELS; p++)
        work.push(
          index.count([state, p]).then((n) => {
            counts[state][p] = n;
          }),
        );
    }
    await Promise.all(work);
    return counts;
  }

  async getMeta(name: string): Promise<Json | undefined> {
    return (await this.db.get('meta', name))?.value;
  }

  async commit(batch: StoreBatch): Promise<void> {
    const tx = this.db.transaction(['jobs', 'idempotency', 'steps', 'meta'], 'readwrite');
    const jobs = tx.objectStore('jobs');
    const deleted = new Set(batch.deletes);
    try {
      // Only IndexedDB requests are awaited in here: any other await would let the transaction commit early.
      // Versions: a new job is `add`ed, which fails if the id exists; an update is checked against the
      // version this instance committed last (exclusive mode) or, failing that, the stored one.
      const expected = batch.jobs.flatMap(({ record, expectedVersion }) => (expectedVersion === null ? [] : [{ id: record.id, version: expectedVersion }]));
      if (batch.checks !== undefined) expected.push(...batch.checks);
      const unknown = expected.filter(({ id }) => this.versions?.get(id) === undefined);
      const stored = await Promise.all(unknown.map(({ id }) => jobs.get(id)));
      const read = new Map(unknown.map(({ id }, i) => [id, stored[i]?.version ?? null]));
      for (const { id, version: wanted } of expected) {
        const version = read.has(id) ? read.get(id)! : this.versions!.get(id)!;
        if (version !== wanted) throw new StoreConflictError(`Job ${id}: expected version ${wanted}, store has ${version ?? '(none)'}`);
      }
      const writes: Promise<unknown>[] = [];
      for (const { record, expectedVersion } of batch.jobs) {
        if (expectedVersion === null) {
          writes.push(
            jobs.add(toStored(record)).catch((error: unknown) => {
              throw isNamed(error, 'ConstraintError') ? new StoreConflictError(`Job ${record.id}: expected a new job, the store has one`) : error;
            }),
          );
        } else if (!deleted.has(record.id)) {
          writes.push(jobs.put(toStored(record)));
        }
      }
      const steps = tx.objectStore('steps');
      const stepped = new Set(batch.steps.map((s) => s.jobId));
      for (const id of batch.deletes) {
        writes.push(jobs.delete(id));
        // Steps are keyed [jobId, name]: one range delete, no read; none for a job known to have none.
        if (this.stepless?.has(id) !== true || stepped.has(id)) writes.push(steps.delete(IDBKeyRange.bound([id, ''], [id, '\uffff'])));
      }
      const idem = tx.objectStore('idempotency');
      for (const r of batch.idempotency) writes.push(idem.put(r));
      for (const key of batch.idempotencyDeletes) writes.push(idem.delete(key));
      for (const s of batch.steps) writes.push(steps.put(s));
      const meta = tx.objectStore('meta');
      for (const m of batch.meta) writes.push(meta.put({ name: m.name, value: m.value }));
      await Promise.all(writes);
      await tx.done;
    } catch (error) {
      try {
        tx.abort();
      } catch {
        // already finished
      }
      await tx.done.catch(() => {});
      if (isNamed(error, 'QuotaExceededError') || isNamed(tx.error, 'QuotaExceededError')) {
        throw new StorageFullError(`IndexedDB quota exceeded: this batch of ${batch.jobs.length} job write(s) was not stored`, { cause: error });
      }
      throw error;
    }
    if (this.versions !== null && this.stepless !== null) {
      for (const { record, expectedVersion } of batch.jobs) {
        // Finished jobs leave the cache: a later retry reads its record back.
        if (isTerminal(record.state)) {
          this.versions.delete(record.id);
          this.stepless.delete(record.id);
        } else {
          this.versions.set(record.id, record.version);
          if (expectedVersion === null) this.stepless.add(record.id);
        }
      }
      for (const s of batch.steps) this.stepless.delete(s.jobId);
      for (const id of batch.deletes) {
        this.versions.delete(id);
        this.stepless.delete(id);
      }
    }
  }
}

function isNamed(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
}

function toStored(record: JobRecord): StoredJob {
  if (record.rank !== null) return { ...record, _fair: record.fairnessKey ?? '' };
  if (record.state !== JobState.waiting) return record;
  return { ...record, _blockers: record.after === null ? [...record.dependsOn] : [...record.dependsOn, record.after] };
}

function strip(stored: StoredJob | undefined): JobRecord | undefined {
  if (stored === undefined || (stored._blockers === undefined && stored._fair === undefined)) return stored;
  const { _blockers: _, _fair: __, ...record } = stored;
  return record;
}
