import type { Attributes, BatchObservableResult, Histogram, Meter, ObservableCounter, ObservableGauge } from '@opentelemetry/api';
import type { MetricsSnapshot, SchedulerEvent } from '@baton/core';
import { Attr, SYSTEM } from './attributes.ts';

const BREAKER_LEVEL: Readonly<Record<string, number>> = { closed: 0, 'half-open': 1, open: 2 };

type Counted = 'submitted' | 'succeeded' | 'failed' | 'cancelled' | 'retried' | 'deferred' | 'shed' | 'stalled';
const COUNTED: ReadonlyArray<readonly [Counted, string]> = [
  ['submitted', 'Jobs stored by a submit'],
  ['succeeded', 'Jobs that succeeded'],
  ['failed', 'Jobs that failed for good (into the dead-letter set)'],
  ['cancelled', 'Jobs cancelled'],
  ['retried', 'Failed attempts sent back to run after a backoff'],
  ['deferred', 'Claims held back by a breaker, budget, throttle or rate limit (no attempt spent)'],
  ['shed', 'Background jobs dropped past their deadline under congestion'],
  ['stalled', 'Running jobs whose lease expired (recovered)'],
];

/** One type and queue's tallies, and the attributes they are reported with. */
interface Tally extends Record<Counted, number> {
  readonly attributes: Attributes;
}

/**
 * Instruments fed by the scheduler's committed events: counters of jobs
 * submitted, succeeded, failed, cancelled, retried, deferred, shed and
 * stalled, and histograms of wait (ready → running), run (an attempt) and
 * end-to-end (submit → end) durations, in seconds, per type and queue.
 *
 * The counters are observable: an event adds to a plain tally, read at each
 * collection. The SDK hashes the attributes of every `add`, and at the rate
 * jobs go (a few µs each) that cost more than the scheduler itself.
 */
export class Instruments {
  private readonly tallies = new Map<string, Map<string, Tally>>();
  private readonly wait: Histogram;
  private readonly run: Histogram;
  private readonly total: Histogram;

  constructor(meter: Meter) {
    const counters = new Map<Counted, ObservableCounter>(
      COUNTED.map(([name, description]) => [name, meter.createObservableCounter(`baton.jobs.${name}`, { description, unit: '{job}' })]),
    );
    meter.addBatchObservableCallback(
      (result) => {
        for (const byQueue of this.tallies.values())
          for (const tally of byQueue.values()) for (const [name, counter] of counters) result.observe(counter, tally[name], tally.attributes);
      },
      [...counters.values()],
    );
    this.wait = meter.createHistogram('baton.job.wait.duration', { description: 'Ready to running', unit: 's' });
    this.run = meter.createHistogram('messaging.process.duration', { description: 'One attempt, running to its end', unit: 's' });
    this.total = meter.createHistogram('baton.job.duration', { description: 'Submit to the end, every attempt included', unit: 's' });
  }

  private tally(type: string, queue: string): Tally {
    let byQueue = this.tallies.get(type);
    if (byQueue === undefined) {
      byQueue = new Map();
      this.tallies.set(type, byQueue);
    }
    let found = byQueue.get(queue);
    if (found === undefined) {
      found = {
        attributes: { [Attr.system]: SYSTEM, [Attr.type]: type, [Attr.destination]: queue },
        submitted: 0,
        succeeded: 0,
        failed: 0,
        cancelled: 0,
        retried: 0,
        deferred: 0,
        shed: 0,
        stalled: 0,
      };
      byQueue.set(queue, found);
    }
    return found;
  }

  event(event: SchedulerEvent): void {
    if (event.name === 'job.stalled') {
      this.tally(event.type, event.queue).stalled++;
      return;
    }
    if (!('to' in event)) return;
    const tally = this.tally(event.type, event.queue);
    const job = event.job;
    if (event.from === null) tally.submitted++;
    if (event.from === 'running' && job.startedAtMs !== null) this.run.record((event.atMs - job.startedAtMs) / 1000, tally.attributes);
    switch (event.to) {
      case 'running':
        if (job.readyAtMs !== null) this.wait.record((event.atMs - job.readyAtMs) / 1000, tally.attributes);
        break;
      case 'succeeded':
      case 'failed':
      case 'cancelled':
        tally[event.to]++;
        this.total.record((event.atMs - job.createdAtMs) / 1000, tally.attributes);
        break;
      case 'scheduled':
        if (event.cause.code === 'retry') tally.retried++;
        else if (event.cause.code === 'deferred') tally.deferred++;
        break;
    }
    if (event.cause.code === 'shed') tally.shed++;
  }
}

/**
 * Gauges read from `metrics()` at each collection: jobs per state and
 * priority, breaker state per resource (0 closed, 1 half-open, 2 open) and
 * the congestion level (0–1). Returns a function that stops observing.
 */
export function observeSnapshots(meter: Meter, read: () => Promise<MetricsSnapshot>, queue: string): () => void {
  const depth = meter.createObservableGauge('baton.jobs.depth', { description: 'Jobs per state and priority', unit: '{job}' });
  const breaker = meter.createObservableGauge('baton.resource.breaker.state', { description: 'Breaker per resource: 0 closed, 1 half-open, 2 open' });
  const congestion = meter.createObservableGauge('baton.congestion.level', {
    description: 'Congestion, 0 to 1: how far the ready backlog is past its threshold',
  });
  const gauges: ObservableGauge[] = [depth, breaker, congestion];
  const callback = async (result: BatchObservableResult): Promise<void> => {
    const m = await read();
    for (const [state, { byPriority }] of Object.entries(m.depth)) {
      byPriority.forEach((count, priority) => {
        result.observe(depth, count, { [Attr.system]: SYSTEM, [Attr.destination]: queue, [Attr.state]: state, [Attr.priority]: priority });
      });
    }
    for (const [resource, snapshot] of Object.entries(m.resources)) {
      if (snapshot.breaker !== null) result.observe(breaker, BREAKER_LEVEL[snapshot.breaker] ?? 0, { [Attr.system]: SYSTEM, [Attr.resource]: resource });
    }
    result.observe(congestion, m.congestion.level, { [Attr.system]: SYSTEM, [Attr.destination]: queue });
  };
  meter.addBatchObservableCallback(callback, gauges);
  return () => meter.removeBatchObservableCallback(callback, gauges);
}
