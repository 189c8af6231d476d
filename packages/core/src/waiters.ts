import { UnknownJobError } from './errors.ts';
import { isTerminal, type JobRecord } from './job.ts';
import type { Store } from './store.ts';

/** Callers waiting for jobs to finish (`waitFor`), answered as the tick that finishes them commits. */
export class Waiters {
  private readonly waiting = new Map<string, Array<(job: JobRecord) => void>>();

  /** Resolves with the job once it is succeeded, failed or cancelled. */
  async wait(store: Store, id: string): Promise<JobRecord> {
    // Registered before the read, so a job finishing in between is not missed.
    let resolver!: (job: JobRecord) => void;
    const settled = new Promise<JobRecord>((resolve) => {
      resolver = resolve;
    });
    let list = this.waiting.get(id);
    if (list === undefined) {
      list = [];
      this.waiting.set(id, list);
    }
    list.push(resolver);
    const current = await store.get(id);
    if (current !== undefined && !isTerminal(current.state)) return settled;
    // Only this caller's registration goes: others may be waiting on the same job.
    const mine = this.waiting.get(id);
    const at = mine?.indexOf(resolver) ?? -1;
    if (at >= 0) mine!.splice(at, 1);
    if (mine?.length === 0) this.waiting.delete(id);
    if (current === undefined) throw new UnknownJobError(id);
    return current;
  }

  /** A committed record: if it is terminal, its waiters hear of it. */
  settled(record: JobRecord): void {
    if (!isTerminal(record.state)) return;
    const list = this.waiting.get(record.id);
    if (list === undefined) return;
    this.waiting.delete(record.id);
    for (const resolve of list) resolve(record);
  }
}
