/**
 * Building events: the envelope around validated data, with a fixed or derived id.
 */
import { randomUUID } from 'node:crypto';
import { parse as parseUuid, v5 as uuidv5 } from 'uuid';
import { catalogue, type EventData, type EventType } from './catalogue.ts';
import {
  CLOUDEVENTS_SPEC_VERSION,
  EVENT_CONTENT_TYPE,
  type Event,
  type TickwatchEvent,
} from './envelope.ts';
import { validateEvent } from './validation.ts';

/** Namespace of tickwatch's UUIDv5 event ids. Never change it: ids would stop matching. */
const EVENT_ID_NAMESPACE = '4f0b6d0e-8f57-4d4c-9a53-0b6a7f2e1c11';
/**
 * The namespace parsed once, and names handed over as UTF-8 bytes: given strings, uuid parses
 * the namespace twice and encodes the name char by char on every call (the collector derives
 * an id per quote).
 */
const NAMESPACE_BYTES = parseUuid(EVENT_ID_NAMESPACE);
const idOf = (key: readonly unknown[]): string =>
  uuidv5(Buffer.from(JSON.stringify(key)), NAMESPACE_BYTES);

/**
 * The id of an event derived from others, from its natural key (DESIGN.md §4): the same type
 * and key always give the same id, so re-processing after a crash republishes the same event
 * and consumers drop the repeat. price.updated: [ticker, marketTime]; alert.triggered:
 * [ruleId, ruleVersion, sequence]; notification.*: [alertId, channel].
 */
export function derivedEventId(type: EventType, naturalKey: readonly (string | number)[]): string {
  if (naturalKey.length === 0) throw new RangeError('a natural key needs at least one part');
  return idOf([type, ...naturalKey]);
}

/**
 * The id of one delivery (notification.* `deliveryId`): one per (alert id or request id,
 * channel), so the notifier and the gateway's notification history agree on it without asking.
 */
export function deliveryId(sourceId: string, channel: string): string {
  return idOf(['delivery', sourceId, channel]);
}

export interface EventOptions {
  /** The producing service, e.g. `tickwatch/gateway`. */
  readonly source: string;
  /** Defaults to the ticker for per-ticker events. */
  readonly subject?: string;
  /** A command's id fixed when it was accepted, or a `derivedEventId`; random otherwise. */
  readonly id?: string;
  readonly time?: Date | string;
}

/** Builds and validates an event; throws EventValidationError naming each bad field. */
export function createEvent<T extends EventType>(
  type: T,
  data: EventData<T>,
  options: EventOptions,
): Event<T> {
  const definition = catalogue[type];
  const tickerOf = definition.tickerOf as ((data: EventData<T>) => string) | null;
  const subject = options.subject ?? tickerOf?.(data);
  const time = options.time ?? new Date();
  const candidate = {
    specversion: CLOUDEVENTS_SPEC_VERSION,
    id: options.id ?? randomUUID(),
    source: options.source,
    type,
    ...(subject === undefined ? {} : { subject }),
    time: typeof time === 'string' ? time : time.toISOString(),
    datacontenttype: EVENT_CONTENT_TYPE,
    data,
  };
  const result = validateEvent(candidate);
  if (!result.ok) throw result.error;
  return result.event as Event<T>;
}

/** The bytes that go on the wire. */
export function serializeEvent(event: TickwatchEvent): Buffer {
  return Buffer.from(JSON.stringify(event));
}
