/** Medians and ranges over repeated runs: these machines are noisy. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function range(values: readonly number[]): [number, number] {
  return [Math.min(...values), Math.max(...values)];
}

export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A benchmark goal as every scenario reports it. */
export interface Goal {
  readonly goal: string;
  readonly value: string;
  readonly met: boolean;
}

/** Prints the goals' table under a scenario's figures. */
export function printGoals(goals: readonly Goal[]): void {
  console.log(
    `\n${table(
      ['goal', 'measured', 'met'],
      goals.map((g) => [g.goal, g.value, g.met ? 'yes' : 'NO']),
    )}`,
  );
}
