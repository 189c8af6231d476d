import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { createRandom, createScheduler, createTimerClock, MemoryStore, type JobRecord } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/sqlite-store.ts';

const clock = () => createTimerClock({ now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as never) });

/** The jobs table and its claim index exactly as release 0.2 created them. */
function createVersion02(sql: SqlStorage, prefix: string): void {
  const jobs = `${prefix}jobs`;
  sql.exec(`
    CREATE TABLE ${jobs} (
      id TEXT PRIMARY KEY, version INTEGER NOT NULL, state TEXT NOT NULL, queue TEXT NOT NULL, type TEXT NOT NULL,
      priority INTEGER NOT NULL, key TEXT, rank REAL, due_at REAL, record TEXT NOT NULL
    );
    CREATE INDEX ${jobs}_claim ON ${jobs} (queue, rank, id) WHERE rank IS NOT NULL;
  `);
}

describe('SqliteStore upgrade (workerd)', () => {
  it('opens tables written by 0.2: a ready job stays claimable and runs', async () => {
    // A ready job as 0.2 stored it: no fairness key in the record or the table.
    const seed = createScheduler({
      store: new MemoryStore(),
      clock: clock(),
      random: createRandom(Math.random),
      handlers: { ship: async () => 'shipped' },
      autoStart: false,
    });
    const { job } = await seed.submit({ type: 'ship', priority: 3 });
    const { fairnessKey: _, ...v02 } = job as unknown as JobRecord;
    const stub = env.CONFORMANCE.get(env.CONFORMANCE.idFromName('upgrade from 0.2'));
    await runInDurableObject(stub, async (_instance, state) => {
      const sql = state.storage.sql;
      createVersion02(sql, 'u_');
      sql.exec(
        'INSERT INTO u_jobs (id, version, state, queue, type, priority, key, rank, due_at, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        v02.id,
        v02.version,
        v02.state,
        v02.queue,
        v02.type,
        v02.priority,
        null,
        v02.rank,
        null,
        JSON.stringify(v02),
      );
      const store = new SqliteStore(state.storage, { prefix: 'u_' });
      const indexes = sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'u_jobs'`).toArray();
      expect(indexes.map((i) => i.name)).toContain('u_jobs_fair');
      expect(indexes.map((i) => i.name)).not.toContain('u_jobs_claim');
      expect((await store.claimable({ queue: 'default', priority: 3, key: null, after: false }, 10)).map((j) => j.id)).toEqual([job.id]);
      expect((await store.claimable({ queue: 'default', priority: 3, key: '', after: true }, 10)).map((j) => j.id)).toEqual([]);
      new SqliteStore(state.storage, { prefix: 'u_' }); // opening again changes nothing
      const scheduler = createScheduler({ store, clock: clock(), random: createRandom(Math.random), handlers: { ship: async () => 'shipped' } });
      const done = await scheduler.waitFor(job.id);
      expect(done).toMatchObject({ state: 'succeeded', result: 'shipped', fairnessKey: null });
      await scheduler.stop();
    });
  });
});
