import { ValidationError } from './errors.ts';
import { fairnessKeyOf, type JobRecord } from './job.ts';
import { LIMITS } from './limits.ts';
import type { ClaimRange } from './store.ts';
import { number, show } from './validate.ts';

/** How a queue's slots are shared across fairness keys, as given in `queues.<name>.keys`. */
export interface KeyOptions {
  /** At most this many jobs of one fairness key run at once in the queue (jobs without a key are not limited). @default no limit */
  readonly concurrency?: number;
  /** Jobs a key starts per turn (its weight), by key; others start 1. @default {} */
  readonly weights?: Readonly<Record<string, number>>;
}

export interface ResolvedKeyOptions {
  readonly concurrency: number;
  readonly weights: ReadonlyMap<string, number>;
  /** The greatest weight (1 when none is set): what a read for the next key's turn asks for. */
  readonly maxWeight: number;
}

const NO_KEY_LIMITS: ResolvedKeyOptions = { concurrency: Number.POSITIVE_INFINITY, weights: new Map(), maxWeight: 1 };

export function resolveKeyOptions(field: string, keys: KeyOptions | undefined): ResolvedKeyOptions {
  if (keys === undefined) return NO_KEY_LIMITS;
  if (keys === null || typeof keys !== 'object') throw new ValidationError(field, `Expected \`${field}\` to be an object, got ${show(keys)}`);
  const weights = new Map<string, number>();
  for (const [key, weight] of Object.entries(keys.weights ?? {})) weights.set(key, number(`${field}.weights.${key}`, weight, 1, true, LIMITS.keyWeight));
  return {
    concurrency: keys.concurrency === undefined ? Number.POSITIVE_INFINITY : number(`${field}.concurrency`, keys.concurrency, 1, true),
    weights,
    maxWeight: Math.max(1, ...weights.values()),
  };
}

/** What the reader reads from: a tick (the store with the tick's writes over it), or a store. */
export interface ClaimSource {
  claimable(range: ClaimRange, limit: number): Promise<readonly JobRecord[]>;
}

/** Where one queue class's rotation over fairness keys stands; kept across ticks, in memory. */
export interface Turn {
  /** The key whose turn it is; `null` before the first key. */
  key: string | null;
  /** Jobs the key has started in this turn. */
  served: number;
  /**
   * The key was the only one with ready work when its pass ended, and no
   * job of another key has become ready since (the claimer clears it on a
   * commit that readies one): the next pass reads it without looking for
   * others first. Only kept without a per-key concurrency limit.
   */
  sole: boolean;
}

/**
 * Reads one queue's priority class in fair order for one claim pass:
 * deficit round robin over the fairness keys in key order. A key starts up
 * to its weight in jobs per turn, in its own claim order (rank, then id),
 * then the turn passes to the next key with ready work, and after the last
 * back to the first. A key at its concurrency limit is passed over.
 *
 * Each read is a range of the store's claim index from the turn's key, so
 * a turn costs one indexed read, never a scan of the backlog. A key found
 * to be the only one that can start (the rotation came back to it without
 * serving another) takes every free slot for the rest of the pass.
 */
export class FairReader {
  private rows: readonly JobRecord[] = [];
  private pos = 0;
  /** The last read found nothing: the rotation is past the class's last key. */
  private atEnd = false;
  /** This pass has met more than one key: reads from the first key walk the keys' heads. */
  private multi = false;
  /** A read from the first key found nothing at all. */
  empty = false;
  private lastServed: string | null;
  private wrappedSinceServed = false;
  private sole: string | null = null;

  private readonly source: ClaimSource;
  private readonly queue: string;
  private readonly priority: number;
  private readonly turn: Turn;
  private readonly keys: ResolvedKeyOptions;
  /** Running jobs per fairness key in the queue, when keys have a concurrency limit. */
  private readonly running: Map<string, number> | null;
  /** How many rows a read asks for. */
  private readonly want: () => number;

  constructor(
    source: ClaimSource,
    queue: string,
    priority: number,
    turn: Turn,
    keys: ResolvedKeyOptions,
    running: Map<string, number> | null,
    want: () => number,
  ) {
    this.source = source;
    this.queue = queue;
    this.priority = priority;
    this.turn = turn;
    this.keys = keys;
    this.running = running;
    this.want = want;
    this.lastServed = turn.served > 0 ? turn.key : null;
    if (turn.sole && running === null) this.sole = turn.key;
  }

  /** Forget what was read: the tick readied other jobs since. */
  reset(): void {
    this.rows = [];
    this.pos = 0;
    this.atEnd = false;
  }

  /** The next job to try, or `undefined` when no key of the class can start one. */
  async next(): Promise<JobRecord | undefined> {
    let wraps = 0;
    for (;;) {
      while (this.pos < this.rows.length) {
        const record = this.rows[this.pos++]!;
        const key = fairnessKeyOf(record);
        if (key !== this.turn.key) {
          if (this.turn.key !== null) this.multi = true;
          this.turn.key = key;
          this.turn.sole = false;
          this.turn.served = 0;
        }
        if (this.passedOver(key)) continue;
        return record;
      }
      // The buffer is used up: read on from the turn's key or, past the end, from the first key again.
      if (this.atEnd) {
        if (this.turn.key === null || ++wraps > 1) return undefined;
        this.turn.key = null;
        this.turn.served = 0;
        this.wrappedSinceServed = true;
      }
      await this.read();
      if (this.rows.length === 0 && this.turn.key === null) {
        this.empty = true;
        return undefined;
      }
    }
  }

  /** `record`, returned by `next`, started. */
  started(record: JobRecord): void {
    const key = fairnessKeyOf(record);
    if (key === this.lastServed && this.wrappedSinceServed) this.sole = key;
    this.turn.sole = this.sole === key && this.running === null;
    this.lastServed = key;
    this.wrappedSinceServed = false;
    this.turn.served++;
    if (this.running !== null) this.running.set(key, (this.running.get(key) ?? 0) + 1);
  }

  private passedOver(key: string): boolean {
    // The per-key limit is for keys: jobs without one ('') are not a tenant to hold back.
    if (this.running !== null && key !== '' && (this.running.get(key) ?? 0) >= this.keys.concurrency) return true;
    return key !== this.sole && this.turn.served >= (this.keys.weights.get(key) ?? 1);
  }

  /**
   * Reads on from the turn. Moving to the next keys, a read walks their
   * heads (`perKey`: what a turn can use, the greatest weight), one job
   * of each key per free slot, so a pass over many keys reads few rows;
   * a key with every slot to itself reads as many jobs as there are free
   * slots; the rest of a key's turn reads what the turn has left. Only an
   * empty read means the rotation is past the last key: a short one may
   * come from the tick's own writes over the store.
   */
  private async read(): Promise<void> {
    const { key, served } = this.turn;
    const free = Math.max(1, this.want());
    const after = key !== null && this.passedOver(key);
    // Until the pass has met a second key, a plain read: a class of one key (the usual case) pays no skip scan.
    const walk = this.multi && (key === null || (after && key !== this.sole));
    const range: ClaimRange = { queue: this.queue, priority: this.priority, key, after, ...(walk ? { perKey: this.keys.maxWeight } : {}) };
    const limit = key === null || key === this.sole || after ? free : Math.min(free, (this.keys.weights.get(key) ?? 1) - served);
    this.rows = await this.source.claimable(range, limit);
    this.pos = 0;
    this.atEnd = this.rows.length === 0;
  }
}
