import { ErrorCode } from '@baton/core';
import { type ErrorBody, fullBucket, type TokenBucketState, takeToken } from '@baton/core/advanced';

/** What one scheduler object (one tenant's queue) takes before it refuses. */
export interface EdgeLimits {
  /** Requests per second, sustained. @default 200 */
  readonly requestsPerSecond?: number;
  /** Requests in a burst. @default 400 */
  readonly burst?: number;
  /** Bytes of SQLite storage, past which submits are refused (`quota-exceeded`, 507) until retention frees some. @default 256 MiB */
  readonly maxStorageBytes?: number;
  /** Event streams open at once. @default 4 */
  readonly maxEventStreams?: number;
  /** A comment on every open event stream this often, so proxies and clients know it lives. @default 15000 */
  readonly heartbeatMs?: number;
}

export const DEFAULT_EDGE_LIMITS: Required<EdgeLimits> = {
  requestsPerSecond: 200,
  burst: 400,
  maxStorageBytes: 256 * 1024 * 1024,
  maxEventStreams: 4,
  heartbeatMs: 15_000,
};

/**
 * The object's own limits: a token bucket of requests, and a storage
 * quota. Each object is one (tenant, queue), so these are per tenant and
 * queue; a tenant's reach is the number of queues times them.
 */
export class RequestGuard {
  readonly limits: Required<EdgeLimits>;
  private bucket: TokenBucketState;
  private readonly now: () => number;

  constructor(limits: EdgeLimits, now: () => number) {
    this.limits = { ...DEFAULT_EDGE_LIMITS, ...limits };
    this.now = now;
    this.bucket = fullBucket(this.rate(), now());
  }

  private rate() {
    return { perSecond: this.limits.requestsPerSecond, burst: this.limits.burst };
  }

  /** A request's turn: `null`, or why not and when to come back. */
  admit(): ErrorBody | null {
    const { state, admission } = takeToken(this.rate(), this.bucket, this.now(), 'requests');
    this.bucket = state;
    if (admission.allow) return null;
    const retryAfterMs = Math.max(1, Math.ceil(admission.retryAtMs - this.now()));
    return {
      code: ErrorCode.rateLimited,
      message: `Too many requests: at most ${this.limits.requestsPerSecond} a second (burst ${this.limits.burst}); retry in ${retryAfterMs} ms`,
      retryable: true,
      retryAfterMs,
    };
  }

  /** Whether `usedBytes` leaves room for more: `null`, or the refusal. */
  room(usedBytes: number): ErrorBody | null {
    if (usedBytes < this.limits.maxStorageBytes) return null;
    return {
      code: ErrorCode.quotaExceeded,
      message: `Storage quota reached (${usedBytes} of ${this.limits.maxStorageBytes} bytes): no new jobs until finished ones are swept`,
      retryable: true,
    };
  }
}
