/**
 * What a claim pass costs in reads of a real store at a deep backlog, run
 * inside the runtime (workerd for SQLite, Chromium for IndexedDB): the
 * pass as Baton makes it now (`FairReader` over the fair claim index,
 * filling `slots` free slots) against the single read of 0.2's claim index
 * `(queue, rank, id)`, on the same rows in the same process.
 */
import type { JobRecord, StoreBatch } from '@baton/core';
import { type ClaimSource, FairReader, type Turn } from '@baton/core/advanced';
import { sampleRecord } from '@baton/core/testing';

export interface ClaimCost {
  readonly backlog: number;
  readonly keys: number;
  readonly slots: number;
  /** Median ms per pass, 0.2's single read. */
  readonly oldMs: number;
  /** Median ms per pass, the fair pass. */
  readonly newMs: number;
  /** Runs the medians are of. */
  readonly runs: number;
  /** Store reads the fair pass makes. */
  readonly reads: number;
}

/** `backlog` ready records, priority normal, spread round robin over `keys` fairness keys (0: none). */
export function backlogRecords(backlog: number, keys: number): JobRecord[] {
  return Array.from({ length: backlog }, (_, i) =>
    sampleRecord({ id: `job-${String(i).padStart(8, '0')}`, rank: i, readyAtMs: i, fairnessKey: keys === 0 ? null : `tenant-${i % keys}` }),
  );
}

export function insertBatch(records: readonly JobRecord[]): StoreBatch {
  return {
    jobs: records.map((record) => ({ record, expectedVersion: null, expectedState: null })),
    deletes: [],
    idempotency: [],
    idempotencyDeletes: [],
    steps: [],
    meta: [],
  };
}

/** `passes` claim passes of `slots` as Baton makes them, the rotation kept from pass to pass; returns the reads of the last. */
export async function fairPasses(source: ClaimSource, passes: number, slots: number, turn: Turn = { key: null, served: 0, sole: false }): Promise<number> {
  let reads = 0;
  const counted: ClaimSource = {
    claimable: (range, limit) => {
      reads++;
      return source.claimable(range, limit);
    },
  };
  const keys = { concurrency: Number.POSITIVE_INFINITY, weights: new Map<string, number>(), maxWeight: 1 };
  for (let pass = 0; pass < passes; pass++) {
    reads = 0;
    const reader = new FairReader(counted, 'default', 2, turn, keys, null, () => slots);
    for (let i = 0; i < slots; i++) {
      const record = await reader.next();
      if (record === undefined) throw new Error(`the fair pass found ${i} of ${slots}`);
      reader.started(record);
    }
  }
  return reads;
}

/** `passes` reads of 0.2's claim index, `slots` rows each. */
export async function oldPasses(read: (limit: number) => Promise<readonly unknown[]>, passes: number, slots: number): Promise<void> {
  for (let pass = 0; pass < passes; pass++) {
    const got = await read(slots);
    if (got.length !== slots) throw new Error(`0.2's read returned ${got.length} of ${slots}`);
  }
}
