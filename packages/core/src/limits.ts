/**
 * The limits every input is held to, in every tier: the core refuses a
 * submit past any of them with a `ValidationError` naming the field, and the
 * edge API answers 400 before calling a Durable Object. Each keeps a bad or
 * hostile input from costing more than a job should (a payload nested deep
 * enough to overflow a stack, a time that never comes, a retry that never
 * stops).
 */
export const LIMITS = {
  /** Nesting of a payload, a result, progress or a step result. */
  jsonDepth: 64,
  /** Serialized size of a payload, a result, progress or a step result. */
  jsonBytes: 1024 * 1024,
  /** Characters of a name: `type`, `queue`, `key`, `fairnessKey`, `idempotencyKey`, `ref`, `resource`, a dependency id. */
  nameChars: 512,
  /** Tags per job. */
  tags: 32,
  /** Characters of a tag. */
  tagChars: 128,
  /** Dependencies per job. */
  dependsOn: 100,
  /** Jobs per `submitAll`. */
  batch: 1_000,
  /** Any duration: `delayMs`, `timeoutMs`, `leaseMs`, `idempotencyTtlMs`, backoff delays. */
  durationMs: 366 * 24 * 60 * 60 * 1000,
  /** How far ahead an absolute time may be: `runAtMs`, `deadlineAtMs`. */
  horizonMs: 366 * 24 * 60 * 60 * 1000,
  /** Attempts per job, the first included. */
  maxAttempts: 100,
  /** Backoff growth factor. */
  backoffFactor: 100,
  /** A fairness key's weight: jobs it starts per turn. */
  keyWeight: 1_000,
  /** Characters of a W3C `tracestate` (the W3C's own limit). */
  tracestateChars: 512,
} as const;
