import { className } from './class-name.ts';
import { Heap } from './heap.ts';
import { fairnessKeyOf, type JobRecord } from './job.ts';
import { firstAfter, firstAtOrAfter } from './sorted-ids.ts';
import type { ClaimRange } from './store.ts';

interface Entry {
  readonly rank: number;
  readonly id: string;
  readonly version: number;
}

const byRankThenId = (a: Entry, b: Entry): boolean => a.rank < b.rank || (a.rank === b.rank && a.id < b.id);

/** One queue's priority class: a heap per fairness key, and the keys in order. */
interface ClassIndex {
  readonly heaps: Map<string, Heap<Entry>>;
  /** Sorted; a key whose heap holds no live entry is dropped when a read meets it. */
  readonly keys: string[];
}

/**
 * The memory store's claim order, `(queue, priority, fairness key, rank,
 * id)`, as an ordered index would serve it: per class, the fairness keys
 * in order and a heap with lazy deletion per key. A read from a key costs
 * O(log keys) to find it and O(log n) per job returned.
 */
export class ClaimIndex {
  private readonly classes = new Map<string, ClassIndex>();
  private readonly isLive: (entry: Entry) => boolean;

  /** `version(id)` is the stored version of a job, `undefined` once it is gone. */
  constructor(version: (id: string) => number | undefined) {
    this.isLive = (entry) => version(entry.id) === entry.version;
  }

  /** Indexes a ready record (one with a rank); older versions drop out when read. */
  add(record: JobRecord): void {
    const name = className(record.queue, record.priority);
    let index = this.classes.get(name);
    if (index === undefined) {
      index = { heaps: new Map(), keys: [] };
      this.classes.set(name, index);
    }
    const key = fairnessKeyOf(record);
    let heap = index.heaps.get(key);
    if (heap === undefined) {
      heap = new Heap(byRankThenId);
      index.heaps.set(key, heap);
      index.keys.splice(firstAtOrAfter(index.keys, key), 0, key);
    }
    heap.push({ rank: record.rank!, id: record.id, version: record.version });
  }

  /** The ids of up to `limit` ready jobs from `range`, in claim order. */
  read(range: ClaimRange, limit: number): string[] {
    const index = this.classes.get(className(range.queue, range.priority));
    const out: string[] = [];
    if (index === undefined) return out;
    const { keys, heaps } = index;
    let i = range.key === null ? 0 : range.after ? firstAfter(keys, range.key) : firstAtOrAfter(keys, range.key);
    while (i < keys.length && out.length < limit) {
      const key = keys[i]!;
      const heap = heaps.get(key)!;
      const live = heap.smallest(Math.min(limit - out.length, range.perKey ?? Number.POSITIVE_INFINITY), this.isLive);
      if (heap.size === 0) {
        heaps.delete(key);
        keys.splice(i, 1);
        continue;
      }
      for (const entry of live) out.push(entry.id);
      i++;
    }
    return out;
  }
}
