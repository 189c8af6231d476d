import type { ResolvedOptions } from './options.ts';
import type { Random } from './random.ts';
import {
  admit,
  backoffStretch,
  recordOutcome,
  restoreResource,
  snapshotResource,
  type ResourceDecision,
  type ResourceOptions,
  type ResourceSnapshot,
  type ResourceState,
} from './resource.ts';
import type { Tick } from './tick.ts';

interface Entry {
  readonly options: ResourceOptions;
  state: ResourceState;
  dirty: boolean;
}

const META_PREFIX = 'resource:';

/**
 * The scheduler's view of every resource its jobs name: loaded from the
 * store's meta on first use, changed in ticks, and written back with the
 * tick's batch, so breaker and budget state survive a restart.
 */
export class ResourceHealth {
  private readonly entries = new Map<string, Entry>();
  private readonly options: ResolvedOptions;

  constructor(options: ResolvedOptions) {
    this.options = options;
  }

  private async entry(tick: Tick, name: string, nowMs: number): Promise<Entry> {
    let entry = this.entries.get(name);
    if (entry === undefined) {
      const options = this.options.resources.get(name) ?? this.options.defaultResource;
      entry = { options, state: restoreResource(options, await tick.getMeta(META_PREFIX + name), nowMs), dirty: false };
      this.entries.set(name, entry);
    }
    return entry;
  }

  async admit(tick: Tick, name: string, nowMs: number, retry: boolean, random: Random): Promise<ResourceDecision> {
    const entry = await this.entry(tick, name, nowMs);
    const { state, decision } = admit(entry.options, entry.state, name, nowMs, retry, random);
    if (state !== entry.state) {
      entry.state = state;
      entry.dirty = true;
    }
    return decision;
  }

  async record(tick: Tick, name: string, nowMs: number, healthy: boolean, probe: boolean): Promise<void> {
    const entry = await this.entry(tick, name, nowMs);
    entry.state = recordOutcome(entry.options, entry.state, nowMs, healthy, probe);
    entry.dirty = true;
  }

  async stretch(tick: Tick, name: string, nowMs: number): Promise<number> {
    const entry = await this.entry(tick, name, nowMs);
    return backoffStretch(entry.options, entry.state, nowMs);
  }

  /** Adds the changed states to the tick's batch. */
  flush(tick: Tick): void {
    for (const [name, entry] of this.entries) {
      if (!entry.dirty) continue;
      tick.putMeta(META_PREFIX + name, entry.state as never);
      entry.dirty = false;
    }
  }

  /** After a failed commit the stored state is the truth again. */
  forget(): void {
    this.entries.clear();
  }

  snapshot(nowMs: number): Record<string, ResourceSnapshot> {
    const out: Record<string, ResourceSnapshot> = {};
    for (const [name, entry] of this.entries) out[name] = snapshotResource(entry.options, entry.state, nowMs);
    return out;
  }
}
