/** The transactional outbox (DESIGN.md §5): events written with the state change, relayed. */
export {
  outboxEntry,
  outboxFieldsFor,
  outboxPlugin,
  withOutbox,
  withOutboxListsOnInsert,
  type FailedEvent,
  type OutboxFields,
  type PendingEvent,
  type TraceContext,
} from './pending-events.ts';
export {
  createOutboxRelay,
  type FlushResult,
  type OutboxRelay,
  type OutboxRelayOptions,
} from './relay.ts';
