/**
 * The CloudEvents 1.0 JSON envelope every message travels in, and the typed event union.
 */
import { z } from 'zod';
import type { EventData, EventType } from './catalogue.ts';
import { Id, Instant } from './schemas/common.ts';

export const CLOUDEVENTS_SPEC_VERSION = '1.0';
export const EVENT_CONTENT_TYPE = 'application/json';

/** The envelope with `data` left unchecked: the catalogue entry for `type` checks it. */
export const Envelope = z.object({
  specversion: z.literal(CLOUDEVENTS_SPEC_VERSION),
  /** The idempotency key downstream: fixed when a command is accepted, or derived (UUIDv5). */
  id: Id,
  /** The producing service, e.g. `tickwatch/collector`. */
  source: z.string().min(1).max(256),
  type: z.string().min(1),
  /** The ticker for per-ticker events. */
  subject: z.string().min(1).max(256).optional(),
  time: Instant,
  datacontenttype: z.literal(EVENT_CONTENT_TYPE),
  data: z.unknown(),
});

export interface Event<T extends EventType> {
  readonly specversion: typeof CLOUDEVENTS_SPEC_VERSION;
  readonly id: string;
  readonly source: string;
  readonly type: T;
  readonly subject?: string;
  readonly time: string;
  readonly datacontenttype: typeof EVENT_CONTENT_TYPE;
  readonly data: EventData<T>;
}

/** Any tickwatch event; `switch (event.type)` narrows `data`. */
export type TickwatchEvent = { [T in EventType]: Event<T> }[EventType];
