/**
 * Attribute names: the OpenTelemetry messaging conventions where they have
 * one (`messaging.*`, `error.type`), `baton.*` for the rest.
 */
export const Attr = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destination: 'messaging.destination.name',
  messageId: 'messaging.message.id',
  batchCount: 'messaging.batch.message_count',
  errorType: 'error.type',
  type: 'baton.job.type',
  attempt: 'baton.job.attempt',
  priority: 'baton.job.priority',
  key: 'baton.job.key',
  resource: 'baton.job.resource',
  outcome: 'baton.job.outcome',
  failureKind: 'baton.failure.kind',
  retryDelayMs: 'baton.retry.delay_ms',
  step: 'baton.step.name',
  state: 'baton.job.state',
} as const;

/** `messaging.system` for every span and instrument. */
export const SYSTEM = 'baton';
