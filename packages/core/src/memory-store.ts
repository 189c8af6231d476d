import { StoreConflictError } from './errors.ts';
import { ClaimIndex } from './claim-index.ts';
import { Heap } from './heap.ts';
import { JobState, PRIORITY_LEVELS, type Json, type JobRecord } from './job.ts';
import { SortedIds } from './sorted-ids.ts';
import type { ClaimRange, IdempotencyRecord, ListPage, ListQuery, StateCounts, StepRecord, Store, StoreBatch } from './store.ts';

interface IndexEntry {
  readonly order: number;
  readonly id: string;
  readonly version: number;
}

/** A state's sorted ids, with what they need to drop the stale. */
interface StateIndex {
  readonly ids: SortedIds;
  readonly live: (id: string) => boolean;
  readonly count: () => number;
  readonly add: (id: string) => void;
}

const byOrderThenId = (a: IndexEntry, b: IndexEntry): boolean => a.order < b.order || (a.order === b.order && a.id < b.id);

/**
 * The in-memory `Store`: the reference implementation of the contract, for
 * tests and for work that need not survive the process. Its indexes are
 * heaps with lazy deletion (the claim order in `ClaimIndex`), so claim and
 * timer queries stay O(log n) at any backlog. Records are immutable values and are stored as given.
 */
export class MemoryStore implements Store {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly claimIndex = new ClaimIndex((id) => this.jobs.get(id)?.version);
  private readonly dueIndex = new Heap<IndexEntry>(byOrderThenId);
  private readonly waiters = new Map<string, Set<string>>();
  private readonly keyTails = new Map<string, string>();
  private readonly idempotencyKeys = new Map<string, IdempotencyRecord>();
  private readonly stepsByJob = new Map<string, Map<string, StepRecord>>();
  private readonly metaValues = new Map<string, Json>();
  private readonly stateCounts: Record<JobState, number[]> = {
    waiting: new Array<number>(PRIORITY_LEVELS).fill(0),
    scheduled: new Array<number>(PRIORITY_LEVELS).fill(0),
    ready: new Array<number>(PRIORITY_LEVELS).fill(0),
    running: new Array<number>(PRIORITY_LEVELS).fill(0),
    succeeded: new Array<number>(PRIORITY_LEVELS).fill(0),
    failed: new Array<number>(PRIORITY_LEVELS).fill(0),
    cancelled: new Array<number>(PRIORITY_LEVELS).fill(0),
  };

  /** Ids per state, for lists by state (what a retention sweep and a dashboard ask for). */
  private readonly byState = new Map<JobState, StateIndex>();

  private stateIndex(state: JobState): StateIndex {
    let index = this.byState.get(state);
    if (index === undefined) {
      const ids = new SortedIds();
      const live = (id: string): boolean => this.jobs.get(id)?.state === state;
      const count = (): number => this.stateCounts[state].reduce((a, b) => a + b, 0);
      index = { ids, live, count, add: (id) => ids.add(id, live, count) };
      this.byState.set(state, index);
    }
    return index;
  }

  private readonly isLive = (entry: IndexEntry): boolean => this.jobs.get(entry.id)?.version === entry.version;

  async get(id: string): Promise<JobRecord | undefined> {
    return this.jobs.get(id);
  }

  async getMany(ids: readonly string[]): Promise<ReadonlyArray<JobRecord | undefined>> {
    return ids.map((id) => this.jobs.get(id));
  }

  async claimable(range: ClaimRange, limit: number): Promise<readonly JobRecord[]> {
    return this.claimIndex.read(range, limit).map((id) => this.jobs.get(id)!);
  }

  async due(nowMs: number, limit: number): Promise<readonly JobRecord[]> {
    return this.dueIndex.smallest(limit, this.isLive, (e) => e.order <= nowMs).map((e) => this.jobs.get(e.id)!);
  }

  async nextDueAtMs(): Promise<number | null> {
    this.dueIndex.prune(this.isLive);
    return this.dueIndex.peek()?.order ?? null;
  }

  async waitingOn(id: string): Promise<readonly JobRecord[]> {
    const ids = this.waiters.get(id);
    if (ids === undefined) return [];
    const out: JobRecord[] = [];
    for (const waiter of ids) {
      const record = this.jobs.get(waiter);
      if (record?.state === JobState.waiting) out.push(record);
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async lastWithKey(key: string): Promise<JobRecord | undefined> {
    const id = this.keyTails.get(key);
    return id === undefined ? undefined : this.jobs.get(id);
  }

  async idempotency(key: string): Promise<IdempotencyRecord | undefined> {
    return this.idempotencyKeys.get(key);
  }

  async steps(jobId: string): Promise<readonly StepRecord[]> {
    return [...(this.stepsByJob.get(jobId)?.values() ?? [])];
  }

  async list(query: ListQuery): Promise<ListPage> {
    if (query.state !== undefined) return this.listByState(query, query.state);
    const limit = query.limit ?? 100;
    const desc = query.order === 'desc';
    const matches: JobRecord[] = [];
    for (const job of this.jobs.values()) {
      if (query.state !== undefined && job.state !== query.state) continue;
      if (query.queue !== undefined && job.queue !== query.queue) continue;
      if (query.type !== undefined && job.type !== query.type) continue;
      if (query.cursor !== undefined && (desc ? job.id >= query.cursor : job.id <= query.cursor)) continue;
      matches.push(job);
    }
    matches.sort((a, b) => (a.id < b.id ? -1 : 1) * (desc ? -1 : 1));
    const jobs = matches.slice(0, limit);
    return { jobs, cursor: matches.length > limit ? jobs[jobs.length - 1]!.id : null };
  }

  /** A list within one state, from its sorted ids: O(log n) to the cursor, then as many as it returns (and stale ids skipped). */
  private listByState(query: ListQuery, state: JobState): ListPage {
    const limit = query.limit ?? 100;
    const desc = query.order === 'desc';
    const index = this.byState.get(state);
    const jobs: JobRecord[] = [];
    let more = false;
    if (index === undefined) return { jobs, cursor: null };
    for (const id of index.ids.from(query.cursor, desc, index.live, index.count())) {
      const job = this.jobs.get(id);
      if (job === undefined || job.state !== state) continue;
      if ((query.queue !== undefined && job.queue !== query.queue) || (query.type !== undefined && job.type !== query.type)) continue;
      if (jobs.length === limit) {
        more = true;
        break;
      }
      jobs.push(job);
    }
    return { jobs, cursor: more ? jobs[jobs.length - 1]!.id : null };
  }

  async counts(): Promise<StateCounts> {
    const copy = {} as Record<JobState, readonly number[]>;
    for (const state of Object.keys(this.stateCounts) as JobState[]) copy[state] = [...this.stateCounts[state]];
    return copy;
  }

  async getMeta(name: string): Promise<Json | undefined> {
    return this.metaValues.get(name);
  }

  async commit(batch: StoreBatch): Promise<void> {
    this.check(batch);
    for (const { record } of batch.jobs) this.write(record);
    for (const id of batch.deletes) this.remove(id);
    for (const record of batch.idempotency) this.idempotencyKeys.set(record.key, record);
    for (const key of batch.idempotencyDeletes) this.idempotencyKeys.delete(key);
    for (const step of batch.steps) {
      let steps = this.stepsByJob.get(step.jobId);
      if (steps === undefined) {
        steps = new Map();
        this.stepsByJob.set(step.jobId, steps);
      }
      steps.set(step.name, step);
    }
    for (const { name, value } of batch.meta) this.metaValues.set(name, value);
  }

  /** All or nothing: every version is checked before anything is written. */
  private check(batch: StoreBatch): void {
    const seen = new Set<string>();
    for (const { record, expectedVersion } of batch.jobs) {
      if (seen.has(record.id)) throw new StoreConflictError(`Job ${record.id} is written twice in one batch`);
      seen.add(record.id);
      this.expect(record.id, expectedVersion);
    }
    for (const { id, version } of batch.checks ?? []) this.expect(id, version);
  }

  /** Refuses the batch unless job `id` has `version` (`null`: no such job yet). */
  private expect(id: string, version: number | null): void {
    const stored = this.jobs.get(id)?.version ?? null;
    if (stored !== version) throw new StoreConflictError(`Job ${id}: expected version ${version ?? '(new)'}, store has ${stored ?? '(none)'}`);
  }

  private write(record: JobRecord): void {
    const previous = this.jobs.get(record.id);
    this.jobs.set(record.id, record);
    const wasWaiting = previous?.state === JobState.waiting;
    const isWaiting = record.state === JobState.waiting;
    // Still waiting, for another job: its key's predecessor ended without running.
    const relinked = wasWaiting && isWaiting && previous.after !== record.after;
    if (previous !== undefined) {
      this.stateCounts[previous.state][previous.priority]!--;
      if (wasWaiting && (!isWaiting || relinked)) this.unindexWaiter(previous);
    } else if (record.key !== null) {
      const tail = this.keyTails.get(record.key);
      if (tail === undefined || tail < record.id) this.keyTails.set(record.key, record.id);
    }
    this.stateCounts[record.state][record.priority]!++;
    if (previous?.state !== record.state) this.stateIndex(record.state).add(record.id);
    if (isWaiting && (!wasWaiting || relinked)) {
      for (const blocker of blockersOf(record)) {
        let set = this.waiters.get(blocker);
        if (set === undefined) {
          set = new Set();
          this.waiters.set(blocker, set);
        }
        set.add(record.id);
      }
    }
    if (record.rank !== null) this.claimIndex.add(record);
    if (record.dueAtMs !== null) this.dueIndex.push({ order: record.dueAtMs, id: record.id, version: record.version });
  }

  private remove(id: string): void {
    const previous = this.jobs.get(id);
    if (previous === undefined) return;
    this.jobs.delete(id);
    this.stateCounts[previous.state][previous.priority]!--;
    if (previous.state === JobState.waiting) this.unindexWaiter(previous);
    if (previous.key !== null && this.keyTails.get(previous.key) === id) this.keyTails.delete(previous.key);
    this.stepsByJob.delete(id);
  }

  private unindexWaiter(record: JobRecord): void {
    for (const blocker of blockersOf(record)) {
      const set = this.waiters.get(blocker);
      if (set === undefined) continue;
      set.delete(record.id);
      if (set.size === 0) this.waiters.delete(blocker);
    }
  }
}

function blockersOf(record: JobRecord): string[] {
  return record.after === null ? [...record.dependsOn] : [...record.dependsOn, record.after];
}
