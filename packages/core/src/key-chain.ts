import { isTerminal, type JobRecord, JobState } from './job.ts';
import { update } from './records.ts';
import type { Store } from './store.ts';
import type { Tick } from './tick.ts';

/** Meta entry naming the last job admitted with an ordering key. */
const TAIL = 'key-tail:';

/**
 * Ordering keys: jobs with one key run one at a time, in the order they
 * were admitted. Each keyed job names the job it waits for (`after`); the
 * key's tail (the last admitted) is kept in the store's meta, so the order
 * does not depend on how ids sort (ids from another scheduler, or from a
 * batch admitted dependencies first). A job that ends without running
 * (cancelled, failed on its deadline or a dependency) leaves the chain:
 * whoever waited for it waits for the job before it.
 */
export async function keyPredecessor(tick: Tick, key: string, exclude?: string): Promise<JobRecord | undefined> {
  return unfinishedFrom((id) => tick.get(id), await keyTail(tick, key), exclude);
}

/** The tail of a key whose last job released it (`ctx.releaseKey`): the next job waits for nothing. */
const RELEASED = '';

/** The last job admitted with `key`, unless it released the key. */
async function keyTail(tick: Tick, key: string): Promise<JobRecord | undefined> {
  const tailId = await tick.getMeta(TAIL + key);
  if (tailId === RELEASED) return undefined;
  // A store written before tails were kept: its greatest id with the key is the tail.
  return typeof tailId === 'string' ? await tick.get(tailId) : await tick.lastWithKey(key);
}

/** Reads a job by id (from a tick, or from jobs not stored yet). */
export type JobLookup = (id: string) => Promise<JobRecord | undefined>;

/**
 * The nearest job at or before `job` in its key's chain that has not
 * finished, or `undefined` when nothing before it can still run. Walks back
 * past jobs that ended without ever starting (their own predecessor may
 * still be running); a job that started had nothing before it left.
 */
export async function unfinishedFrom(get: JobLookup, job: JobRecord | undefined, exclude?: string): Promise<JobRecord | undefined> {
  const seen = new Set<string>();
  let at = job;
  while (at !== undefined && !seen.has(at.id)) {
    seen.add(at.id);
    if (at.id !== exclude) {
      if (!isTerminal(at.state)) return at;
      if (at.startedAtMs !== null) return undefined;
    }
    at = at.after === null ? undefined : await get(at.after);
  }
  return undefined;
}

/** Makes `id` the tail of `key`: the job the next one with that key waits for. */
export function setKeyTail(tick: Tick, key: string, id: string): void {
  tick.putMeta(TAIL + key, id);
}

/**
 * Nothing left in `key` for the next job admitted to wait for: the jobs
 * it holds have started, and the last of them released the key.
 */
export function clearKeyTail(tick: Tick, key: string): void {
  tick.putMeta(TAIL + key, RELEASED);
}

/**
 * `job` leaves its place in its key's chain (a retry moves it to the end):
 * the job that waited for it, found walking back from the tail, waits for
 * what `job` waited for instead. A job that started had nothing left
 * before it.
 */
export async function unlinkFromKey(tick: Tick, job: JobRecord, nowMs: number): Promise<void> {
  const get: JobLookup = (id) => tick.get(id);
  const seen = new Set<string>([job.id]);
  let at = await keyTail(tick, job.key!);
  while (at !== undefined && !seen.has(at.id)) {
    seen.add(at.id);
    if (at.after === job.id) {
      const before = job.startedAtMs !== null || job.after === null ? undefined : await unfinishedFrom(get, await get(job.after), job.id);
      tick.put(update(at, nowMs, { after: before?.id ?? null }), at);
      return;
    }
    if (isTerminal(at.state) && at.startedAtMs !== null) return;
    at = at.after === null ? undefined : await get(at.after);
  }
}

/**
 * The jobs queued behind job `id` in its key, nearest first, at most
 * `limit`: the waiting job whose `after` is `id`, then the one waiting for
 * it, and so on (`ctx.keySuccessors`). Ends at a job nothing waits for in
 * the key, or one released already (it waits for nothing).
 */
export async function keySuccessors(store: Pick<Store, 'waitingOn'>, id: string, limit: number): Promise<JobRecord[]> {
  const found: JobRecord[] = [];
  const seen = new Set<string>([id]);
  let at = id;
  while (found.length < limit) {
    const next = (await store.waitingOn(at)).find((w) => w.state === JobState.waiting && w.after === at && !seen.has(w.id));
    if (next === undefined) break;
    found.push(next);
    seen.add(next.id);
    at = next.id;
  }
  return found;
}
