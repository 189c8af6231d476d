/**
 * Counters over a sliding window, kept as `buckets` slices of
 * `windowMs / buckets` each: bounded memory, plain JSON, and pure (the
 * caller says what time it is). `fields` counters per slice.
 */
export interface WindowState {
  /** Start of the newest slice. */
  readonly headMs: number;
  /** Newest slice first; each holds one count per field. */
  readonly slices: ReadonlyArray<readonly number[]>;
}

export interface WindowShape {
  readonly windowMs: number;
  readonly buckets: number;
  readonly fields: number;
}

export function emptyWindow(shape: WindowShape, nowMs: number): WindowState {
  const width = shape.windowMs / shape.buckets;
  return { headMs: Math.floor(nowMs / width) * width, slices: [new Array<number>(shape.fields).fill(0)] };
}

/** The window moved to `nowMs`: slices older than the window are dropped. */
export function advance(shape: WindowShape, state: WindowState, nowMs: number): WindowState {
  const width = shape.windowMs / shape.buckets;
  const head = Math.floor(nowMs / width) * width;
  if (head <= state.headMs) return state;
  const steps = Math.min(shape.buckets, Math.round((head - state.headMs) / width));
  const fresh = Array.from({ length: steps }, () => new Array<number>(shape.fields).fill(0));
  return { headMs: head, slices: [...fresh, ...state.slices].slice(0, shape.buckets) };
}

export function add(shape: WindowShape, state: WindowState, nowMs: number, field: number, amount = 1): WindowState {
  const moved = advance(shape, state, nowMs);
  const head = [...moved.slices[0]!];
  head[field] = (head[field] ?? 0) + amount;
  return { headMs: moved.headMs, slices: [head, ...moved.slices.slice(1)] };
}

/** Totals per field over the window as of `nowMs`. */
export function totals(shape: WindowShape, state: WindowState, nowMs: number): number[] {
  const moved = advance(shape, state, nowMs);
  const sums = new Array<number>(shape.fields).fill(0);
  for (const slice of moved.slices) for (let f = 0; f < shape.fields; f++) sums[f]! += slice[f] ?? 0;
  return sums;
}

/** When the oldest slice leaves the window (so counts can fall), after `nowMs`. */
export function nextSliceMs(shape: WindowShape, nowMs: number): number {
  const width = shape.windowMs / shape.buckets;
  return (Math.floor(nowMs / width) + 1) * width;
}
