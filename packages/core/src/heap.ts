/**
 * A binary min-heap over a flat array. Used by the memory store for its
 * claim and timer indexes, with lazy deletion: entries whose record moved on
 * are skipped by the caller's `isLive` and dropped when they reach the top.
 */
export class Heap<T> {
  private readonly items: T[] = [];
  private readonly less: (a: T, b: T) => boolean;

  constructor(less: (a: T, b: T) => boolean) {
    this.less = less;
  }

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (!this.less(item, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    const n = items.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(items[r]!, items[l]!) ? r : l;
      if (!this.less(items[c]!, last)) break;
      items[i] = items[c]!;
      i = c;
    }
    items[i] = last;
    return top;
  }

  /** Drops dead entries from the top. */
  prune(isLive: (item: T) => boolean): void {
    while (this.items.length > 0 && !isLive(this.items[0]!)) this.pop();
  }

  /**
   * The `k` smallest live entries in order, without removing them, while
   * `accept` holds for each: O(k log k) after pruning.
   */
  smallest(k: number, isLive: (item: T) => boolean, accept: (item: T) => boolean = () => true): T[] {
    this.prune(isLive);
    const out: T[] = [];
    const items = this.items;
    if (k <= 0 || items.length === 0) return out;
    if (k === 1) {
      const top = items[0]!;
      if (accept(top)) out.push(top); // live: prune just ran
      return out;
    }
    const frontier = new Heap<number>((a, b) => this.less(items[a]!, items[b]!));
    frontier.push(0);
    while (out.length < k && frontier.size > 0) {
      const i = frontier.pop()!;
      const item = items[i]!;
      if (!accept(item)) break;
      if (isLive(item)) out.push(item);
      const l = 2 * i + 1;
      if (l < items.length) frontier.push(l);
      if (l + 1 < items.length) frontier.push(l + 1);
    }
    return out;
  }
}
