/**
 * Ids in sorted order for the memory store's lists by state. Ids arrive
 * nearly in order (a state is entered roughly in submit order, give or take
 * priorities), so they go to a small `recent` run, sorted when read, and
 * join the big `main` run only once `recent` has grown: a merge costs the
 * whole of `main`, and doing it for every read made lists O(n). Ids whose
 * job left the state are dropped lazily: a dead head of `main` (the oldest,
 * which a retention sweep deletes first) once it is long, everything once
 * most are dead. Readers check each id they use; repeats are skipped here.
 */
export class SortedIds {
  private main: string[] = [];
  private recent: string[] = [];
  private recentSorted = true;

  /**
   * Adds `id`. Unread ids are settled once they outnumber what is kept (at
   * least 4,096): ids are added on every change of state, and a store whose
   * lists are never read must not grow without end.
   */
  add(id: string, live: (id: string) => boolean, liveCount: () => number): void {
    if (this.recent.length > 0 && id < this.recent[this.recent.length - 1]!) this.recentSorted = false;
    this.recent.push(id);
    if (this.recent.length >= 4_096 && this.recent.length >= this.main.length) this.settle(live, liveCount());
  }

  /**
   * The ids after `cursor` (before it, `desc`), in order, once each; some
   * may no longer belong (the caller checks). `liveCount` is how many do.
   */
  *from(cursor: string | undefined, desc: boolean, live: (id: string) => boolean, liveCount: number): Generator<string> {
    this.settle(live, liveCount);
    const { main, recent } = this;
    let i: number;
    let j: number;
    if (desc) {
      i = (cursor === undefined ? main.length : firstAtOrAfter(main, cursor)) - 1;
      j = (cursor === undefined ? recent.length : firstAtOrAfter(recent, cursor)) - 1;
    } else {
      i = cursor === undefined ? 0 : firstAfter(main, cursor);
      j = cursor === undefined ? 0 : firstAfter(recent, cursor);
    }
    let previous: string | undefined;
    while (desc ? i >= 0 || j >= 0 : i < main.length || j < recent.length) {
      let id: string;
      if (desc) {
        if (j < 0 || (i >= 0 && main[i]! >= recent[j]!)) id = main[i--]!;
        else id = recent[j--]!;
      } else if (j >= recent.length || (i < main.length && main[i]! <= recent[j]!)) id = main[i++]!;
      else id = recent[j++]!;
      if (id === previous) continue;
      previous = id;
      yield id;
    }
  }

  private settle(live: (id: string) => boolean, liveCount: number): void {
    if (!this.recentSorted) {
      this.recent.sort();
      this.recentSorted = true;
    }
    const { main, recent } = this;
    if (recent.length > 0 && (recent.length >= 4_096 || recent.length * 16 >= main.length)) {
      const last = main[main.length - 1];
      if (last === undefined || recent[0]! >= last) for (const id of recent) main.push(id);
      else this.main = merge(main, recent);
      this.recent = [];
    }
    if (this.main.length + this.recent.length > 2 * liveCount + 64) {
      const kept: string[] = [];
      for (const id of this.main) if (id !== kept[kept.length - 1] && live(id)) kept.push(id);
      this.main = kept;
    } else {
      // Oldest first is how jobs leave (a retention sweep): drop a dead head once it is long, so readers skip little.
      let dead = 0;
      while (dead < this.main.length && dead <= 256 && !live(this.main[dead]!)) dead++;
      if (dead > 256) {
        while (dead < this.main.length && !live(this.main[dead]!)) dead++;
        this.main.splice(0, dead);
      }
    }
  }
}

function merge(a: readonly string[], b: readonly string[]): string[] {
  const out = new Array<string>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i]! <= b[j]! ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

/** The index of the first id in `ids` (sorted) greater than `id`. */
export function firstAfter(ids: readonly string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of the first id in `ids` (sorted) at or after `id`. */
export function firstAtOrAfter(ids: readonly string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
