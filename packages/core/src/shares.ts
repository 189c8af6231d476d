import { ValidationError } from './errors.ts';
import { PRIORITY_LEVELS, Priority } from './job.ts';
import { number, show } from './validate.ts';

export type PriorityName = keyof typeof Priority;

/** A queue's guaranteed share of slot starts per priority class, from 0 to 1, summing to at most 1. */
export type ClassShares = Readonly<Partial<Record<PriorityName, number>>>;

/** Indexed by priority: background 5 %, low 10 %, normal 20 %, high 25 %, critical 40 %. */
export const DEFAULT_SHARES: readonly number[] = [0.05, 0.1, 0.2, 0.25, 0.4];

/** `shares` checked, by priority; classes it leaves out get no guaranteed share. */
export function resolveShares(field: string, shares: ClassShares | undefined): readonly number[] {
  if (shares === undefined) return DEFAULT_SHARES;
  if (shares === null || typeof shares !== 'object') throw new ValidationError(field, `Expected \`${field}\` to be an object, got ${show(shares)}`);
  const out = new Array<number>(PRIORITY_LEVELS).fill(0);
  for (const [name, value] of Object.entries(shares)) {
    if (!Object.hasOwn(Priority, name)) {
      throw new ValidationError(`${field}.${name}`, `Unknown priority class \`${field}.${name}\`; classes are ${Object.keys(Priority).join(', ')}`);
    }
    out[Priority[name as PriorityName]] = number(`${field}.${name}`, value, 0, false, 1);
  }
  const sum = out.reduce((a, b) => a + b, 0);
  if (sum > 1 + 1e-9) throw new ValidationError(field, `Expected the shares in \`${field}\` to sum to at most 1, got ${sum}`);
  return out;
}

/**
 * Weighted shares across one queue's priority classes. Every slot start,
 * each class with ready work earns its share in credit; the start goes to
 * the most important class owed a whole start (credit ≥ 1), or, if none
 * is owed, to the most important class with work; the class served pays 1
 * (not below 0: a start that was not owed is not charged to later ones).
 * A class without work earns nothing and keeps nothing, so the share of
 * idle classes goes to the most important waiting work.
 *
 * The guarantee: over any N consecutive starts during which class c always
 * had ready work, c got at least N × share(c) − PRIORITY_LEVELS of them. A
 * class whose arrivals stay within its share is served within a few starts
 * of arriving. Pure state, kept in memory: a restarted scheduler starts
 * with no credit, which costs at most one round of the guarantee.
 */
export class ShareLedger {
  private readonly shares: readonly number[];
  private readonly credit = new Array<number>(PRIORITY_LEVELS).fill(0);

  constructor(shares: readonly number[]) {
    this.shares = shares;
  }

  /** The class the next start goes to, among those for which `hasWork` holds; -1 if none. */
  pick(hasWork: (priority: number) => boolean): number {
    let top = -1;
    for (let p = PRIORITY_LEVELS - 1; p >= 0; p--) {
      if (!hasWork(p)) continue;
      if (this.credit[p]! >= 1) return p;
      if (top === -1) top = p;
    }
    return top;
  }

  /** A job of class `served` started, while the classes for which `hasWork` holds had ready work. */
  started(served: number, hasWork: (priority: number) => boolean): void {
    for (let p = 0; p < PRIORITY_LEVELS; p++) {
      if (p === served || hasWork(p)) this.credit[p]! += this.shares[p]!;
      else this.credit[p] = 0;
    }
    // Served as the most important with work, not as owed: that start was extra, not paid from credit.
    this.credit[served] = Math.max(0, this.credit[served]! - 1);
  }

  /** Credit by class, for tests and metrics. */
  snapshot(): readonly number[] {
    return [...this.credit];
  }
}
