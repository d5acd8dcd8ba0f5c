/**
 * @tickwatch/contracts: what services agree on — the event envelope and catalogue, schemas,
 * routing keys, partitioning, ticker rules and the names of exchanges, queues and headers.
 */
export {
  catalogue,
  EVENT_TYPES,
  EventType,
  eventName,
  isEventType,
  type EventData,
} from './catalogue.ts';
export {
  CLOUDEVENTS_SPEC_VERSION,
  EVENT_CONTENT_TYPE,
  Envelope,
  type Event,
  type TickwatchEvent,
} from './envelope.ts';
export {
  createEvent,
  deliveryId,
  derivedEventId,
  serializeEvent,
  type EventOptions,
} from './create-event.ts';
export {
  EventValidationError,
  parseEvent,
  validateEvent,
  type ParseResult,
  type ValidationIssue,
} from './validation.ts';
export {
  bindingPattern,
  isPerTickerEvent,
  parseRoutingKey,
  routingKey,
  tickerOfEvent,
  type ParsedRoutingKey,
} from './routing.ts';
export { PARTITIONS, partitionOf, stableHash32 } from './partition.ts';
export {
  isTicker,
  normalizeTicker,
  routingWordToTicker,
  Ticker,
  TICKER_MAX_LENGTH,
  tickerToRoutingWord,
} from './ticker.ts';
export {
  alerterPartitionQueue,
  deadLetterQueue,
  EVENT_LOG_STREAM,
  EXCHANGES,
  gatewayLiveQueue,
  HEADERS,
  QUEUES,
  RETRY_TIERS,
  retryExchange,
  waitQueue,
  type RetryTierName,
} from './names.ts';
export * from './schemas/index.ts';
