/**
 * The Durable Objects the workerd chaos suite drives (exported by the edge
 * test worker, `packages/edge/test/worker.ts`):
 * - `ChaosJobs`, a `SchedulerObject` whose handlers record every attempt and
 *   every step's effect in the ledger, await timers in between (so a reset
 *   lands mid-handler), and whose storage tells the suite when a tick
 *   commits (so a reset lands mid-tick, just before or just after the
 *   batch is written). Its clock is wall time plus an offset the suite
 *   moves, so alarms fire only when the suite delivers them: late, twice,
 *   or not at all.
 * - `ChaosLedger`, another object with its own SQLite database: the
 *   downstream system the effects go to, untouched by the job store's
 *   transactions (a reset of the scheduler cannot take an effect back).
 */
import { DurableObject } from 'cloudflare:workers';
import { JobError, type Handlers, type JobContext } from '@baton/core';
import { AlarmClock, type EdgeSchedulerOptions, SchedulerObject } from '@baton/edge';
import type { LedgerEntry } from './ledger.ts';

export interface ChaosEnv {
  CHAOS_JOBS: DurableObjectNamespace<ChaosJobs>;
  CHAOS_LEDGER: DurableObjectNamespace<ChaosLedger>;
}

/** Where in a tick's commit the suite may reset the object. */
export type CommitPoint = 'commit:before' | 'commit:after';

/** The suite's hook, shared through the isolate (tests and objects run in one under the vitest plugin). */
interface ChaosHooks {
  point?: (object: string, where: CommitPoint, ctx: DurableObjectState) => void;
  /** The scheduler's error log lines (a failed commit, a failed tick). */
  logged?: (message: string) => void;
}

export function chaosHooks(): ChaosHooks {
  const g = globalThis as { __batonChaosHooks?: ChaosHooks };
  g.__batonChaosHooks ??= {};
  return g.__batonChaosHooks;
}

/** The payload of a chaos job. */
export interface ChaosPayload {
  readonly logical: string;
  readonly ledger: string;
  /** Real milliseconds the handler waits before and between its steps. */
  readonly ms: number;
  /** Designed to fail its first attempt (transient), then succeed. */
  readonly failFirst: boolean;
  /** Designed to end in the dead-letter set (after its steps). */
  readonly fail: boolean;
  /** Submitted with this ordering key (null: none). */
  readonly key: string | null;
}

export const LEASE_MS = 10_000;
export const STEPS = ['charge', 'notify'] as const;

let instances = 0;

/**
 * Gives `ctx` a storage whose `transactionSync` (the store's commit) calls
 * the suite's hook on either side. (The base class takes only a real
 * `DurableObjectState`, so the state keeps its type and gets its own
 * `storage`.)
 */
function withCommitHook(ctx: DurableObjectState): DurableObjectState {
  const name = ctx.id.name ?? ctx.id.toString();
  const bound = <T extends object>(target: T, prop: string | symbol): unknown => {
    const value = Reflect.get(target, prop, target) as unknown;
    return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
  };
  const storage = new Proxy(ctx.storage, {
    get(target, prop) {
      if (prop !== 'transactionSync') return bound(target, prop);
      return <T>(closure: () => T): T => {
        chaosHooks().point?.(name, 'commit:before', ctx);
        const result = target.transactionSync(closure);
        chaosHooks().point?.(name, 'commit:after', ctx);
        return result;
      };
    },
  });
  Object.defineProperty(ctx, 'storage', { value: storage });
  return ctx;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

export class ChaosJobs extends SchedulerObject<ChaosEnv> {
  /** This instance (a reset makes a new one): the runner named in the ledger. */
  declare private runner: string;
  /** Jobs whose handler runs in this instance now. */
  declare private live: Set<string>;

  constructor(ctx: DurableObjectState, env: ChaosEnv) {
    super(withCommitHook(ctx), env);
  }

  protected override createClock(): AlarmClock {
    // Called from the base constructor, before this class's fields exist.
    this.runner = `instance-${++instances}`;
    this.live = new Set();
    this.ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS chaos_clock (offset_ms REAL NOT NULL)');
    return new AlarmClock(this.ctx.storage, () => Date.now() + this.offsetMs());
  }

  private offsetMs(): number {
    return (this.ctx.storage.sql.exec<{ offset_ms: number }>('SELECT offset_ms FROM chaos_clock').toArray()[0]?.offset_ms ?? 0) as number;
  }

  /** Moves this object's time forward by `ms`; returns the object's now. */
  async advance(ms: number): Promise<number> {
    const next = this.offsetMs() + ms;
    this.ctx.storage.sql.exec('DELETE FROM chaos_clock');
    this.ctx.storage.sql.exec('INSERT INTO chaos_clock (offset_ms) VALUES (?)', next);
    return this.clock.now();
  }

  /** How many handlers run in this instance now. */
  async liveCount(): Promise<number> {
    return this.live.size;
  }

  /** The object's now and its alarm (null when none is set). */
  async time(): Promise<{ nowMs: number; alarmMs: number | null }> {
    return { nowMs: this.clock.now(), alarmMs: await this.ctx.storage.getAlarm() };
  }

  protected override configure(): EdgeSchedulerOptions<Handlers> {
    return {
      queues: { default: { concurrency: 6 } },
      leaseMs: LEASE_MS,
      retry: { maxAttempts: 25, backoff: { kind: 'constant', delayMs: 500 } },
      // Quiet: the suite counts what goes wrong from the ledger, not from the log.
      logger: { error: (message) => chaosHooks().logged?.(message) },
      handlers: { charge: (p: ChaosPayload, job: JobContext) => this.charge(p, job) },
    };
  }

  private async charge(p: ChaosPayload, job: JobContext): Promise<string> {
    const ledger = this.env.CHAOS_LEDGER.get(this.env.CHAOS_LEDGER.idFromName(p.ledger));
    const base = { logical: p.logical, jobId: job.job.id, runner: this.runner };
    // One live run per job: a run counts as live until it returns or its attempt is given up (its signal).
    if (this.live.has(job.job.id)) await ledger.append({ kind: 'overlap', ...base, attempt: job.attempt });
    this.live.add(job.job.id);
    const run = async (): Promise<string> => {
      await ledger.append({ kind: 'run', ...base, attempt: job.attempt, atMs: Date.now() });
      await sleep(p.ms, job.signal);
      for (const step of STEPS) {
        await job.step(step, async ({ idempotencyKey, attempt }) => {
          const beganAtMs = Date.now();
          await ledger.append({ kind: 'effect', ...base, step, idempotencyKey, attempt, beganAtMs });
          return attempt;
        });
        await sleep(p.ms, job.signal);
      }
      if (p.fail) throw JobError.nonRetryable(`${p.logical} is designed to fail`);
      if (p.failFirst && job.attempt === 1) throw new Error(`${p.logical} fails its first attempt, by design`);
      return p.logical;
    };
    const givenUp = new Promise<never>((_, reject) => job.signal.addEventListener('abort', () => reject(job.signal.reason)));
    givenUp.catch(() => {});
    try {
      return await Promise.race([run(), givenUp]);
    } finally {
      this.live.delete(job.job.id);
    }
  }
}

/** The downstream: one row per entry, in the order they arrive. */
export class ChaosLedger extends DurableObject<ChaosEnv> {
  constructor(ctx: DurableObjectState, env: ChaosEnv) {
    super(ctx, env);
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS ledger (n INTEGER PRIMARY KEY AUTOINCREMENT, entry TEXT NOT NULL)');
  }

  async append(entry: LedgerEntry): Promise<void> {
    this.ctx.storage.sql.exec('INSERT INTO ledger (entry) VALUES (?)', JSON.stringify(entry));
  }

  async entries(): Promise<LedgerEntry[]> {
    return this.ctx.storage.sql
      .exec<{ entry: string }>('SELECT entry FROM ledger ORDER BY n')
      .toArray()
      .map((r) => JSON.parse(r.entry) as LedgerEntry);
  }
}
