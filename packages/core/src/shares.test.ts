import { describe, expect, it } from 'vitest';
import { DEFAULT_SHARES, resolveShares, ShareLedger } from './shares.ts';
import { SeededRandom } from './testing/seeded-random.ts';

describe('ShareLedger', () => {
  it('gives the most important class every start while nobody is owed one', () => {
    const ledger = new ShareLedger(DEFAULT_SHARES);
    const all = () => true;
    expect(ledger.pick(all)).toBe(4);
    expect(ledger.pick((p) => p < 3)).toBe(2);
    expect(ledger.pick(() => false)).toBe(-1);
  });

  it('keeps every class with work within PRIORITY_LEVELS starts of its share, whatever the backlog pattern', () => {
    const shortfalls: string[] = [];
    for (let seed = 1; seed <= 100; seed++) {
      const random = new SeededRandom(seed);
      const raw = Array.from({ length: 5 }, () => random.next());
      const scale = random.next() / raw.reduce((a, b) => a + b, 0);
      const shares = raw.map((w) => w * scale);
      const ledger = new ShareLedger(shares);
      // Each class has work for a random stretch, then none, then work again.
      const busyUntil = Array.from({ length: 5 }, () => 0);
      const since = Array.from({ length: 5 }, () => -1);
      const got = Array.from({ length: 5 }, () => 0);
      for (let start = 0; start < 2_000; start++) {
        for (let p = 0; p < 5; p++) {
          if (busyUntil[p]! <= start && random.next() < 0.01) {
            busyUntil[p] = start + Math.floor(random.next() * 500) + 1;
            since[p] = start;
            got[p] = 0;
          }
        }
        const hasWork = (p: number) => busyUntil[p]! > start;
        const p = ledger.pick(hasWork);
        if (p < 0) continue;
        for (let c = 0; c < 5; c++) {
          if (!hasWork(c)) continue;
          const n = start - since[c]!;
          // Over the n starts it has had work, class c got at least n × share − 5 of them.
          if (got[c]! < Math.floor(n * shares[c]!) - 5) shortfalls.push(`seed ${seed}: class ${c} (share ${shares[c]}) got ${got[c]} of ${n} starts`);
        }
        ledger.started(p, hasWork);
        got[p]!++;
      }
    }
    expect(shortfalls).toEqual([]);
  });

  it('does not let a class that ran alone bank a debt against its later share', () => {
    const ledger = new ShareLedger([0, 0, 0.5, 0.5, 0]);
    const normalOnly = (p: number) => p === 2;
    for (let i = 0; i < 1_000; i++) ledger.started(ledger.pick(normalOnly), normalOnly);
    const both = (p: number) => p === 2 || p === 3;
    const picks: number[] = [];
    for (let i = 0; i < 10; i++) {
      const p = ledger.pick(both);
      picks.push(p);
      ledger.started(p, both);
    }
    expect(picks.filter((p) => p === 2).length).toBeGreaterThanOrEqual(4);
  });
});

describe('resolveShares', () => {
  it('defaults, replaces whole, and refuses bad shares by name', () => {
    expect(resolveShares('s', undefined)).toBe(DEFAULT_SHARES);
    expect(resolveShares('s', { critical: 0.7, background: 0.3 })).toEqual([0.3, 0, 0, 0, 0.7]);
    expect(() => resolveShares('q.shares', { critical: 0.7, normal: 0.5 })).toThrow('Expected the shares in `q.shares` to sum to at most 1, got 1.2');
    expect(() => resolveShares('q.shares', { urgent: 0.1 } as never)).toThrow('Unknown priority class `q.shares.urgent`');
    expect(() => resolveShares('q.shares', { low: -0.1 })).toThrow('`q.shares.low`');
  });
});
