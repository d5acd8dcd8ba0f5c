/**
 * The outbox's half that lives in the services' documents (DESIGN.md §5): a state change and
 * the events it causes are written in ONE document write, as entries of `pendingEvents` in the
 * changed document. There is no second write that a crash could separate from the first, and
 * no transaction (the embedded server has none, DESIGN.md §6). The relay (relay.ts) publishes
 * the entries and removes them.
 *
 *   await User.updateOne({ _id, version }, withOutbox({ $set: changes }, [event], trace));
 */
import { Schema, type UpdateQuery } from 'mongoose';
import { validateEvent, type TickwatchEvent } from '@tickwatch/contracts';

export interface PendingEvent {
  /** The event id: the relay removes the entry by it, consumers deduplicate by it. */
  readonly id: string;
  readonly type: string;
  /** The validated CloudEvents envelope, stored as the plain object that gets published. */
  readonly event: TickwatchEvent;
  /** W3C trace context of the request that caused it, sent as headers when published. */
  readonly traceparent?: string;
  readonly tracestate?: string;
  readonly addedAt: Date;
}

/** An entry the broker can never accept (invalid after all, or unroutable), set aside. */
export interface FailedEvent extends PendingEvent {
  readonly error: string;
  readonly failedAt: Date;
}

export interface TraceContext {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/** Fields the plugin adds to an aggregate's schema. */
export interface OutboxFields {
  pendingEvents: PendingEvent[];
  failedEvents: FailedEvent[];
  /** When the oldest pending entry was added; unset when none. The sweep's (sparse) index. */
  outboxPendingSince?: Date;
  /** Which relay is publishing this document's entries, until when. */
  outboxLease?: { owner: string; until: Date };
}

const pendingEventFields = {
  id: { type: String, required: true },
  type: { type: String, required: true },
  event: { type: Schema.Types.Mixed, required: true },
  traceparent: { type: String },
  tracestate: { type: String },
  addedAt: { type: Date, required: true },
};

const PendingEventSchema = new Schema(pendingEventFields, { _id: false, minimize: false });
const failureFields = {
  error: { type: String, required: true },
  failedAt: { type: Date, required: true },
};
const FailedEventSchema = new Schema(
  { ...pendingEventFields, ...failureFields },
  { _id: false, minimize: false },
);

/** Adds the outbox fields and the sweep's index to an aggregate's schema. */
export function outboxPlugin(schema: Schema): void {
  schema.add({
    pendingEvents: { type: [PendingEventSchema], default: [] },
    failedEvents: { type: [FailedEventSchema], default: [] },
    outboxPendingSince: { type: Date },
    outboxLease: { type: new Schema({ owner: String, until: Date }, { _id: false }) },
  });
  // Sparse: only documents with something to publish are in it, so a sweep costs what is
  // pending, not the size of the collection.
  schema.index({ outboxPendingSince: 1 }, { sparse: true });
}

/**
 * Validates an event (the same schema check as publishing) and wraps it as an outbox entry.
 * Validation happens here, at the write, so an invalid event fails the command that made it
 * instead of being discovered later by the relay.
 */
export function outboxEntry(event: TickwatchEvent, trace: TraceContext = {}): PendingEvent {
  const result = validateEvent(event);
  if (!result.ok) throw result.error;
  return {
    id: result.event.id,
    type: result.event.type,
    event: result.event,
    ...(trace.traceparent ? { traceparent: trace.traceparent } : {}),
    ...(trace.tracestate ? { tracestate: trace.tracestate } : {}),
    addedAt: new Date(),
  };
}

/** Fields for a new document that is created together with its events. */
export function outboxFieldsFor(
  events: readonly TickwatchEvent[],
  trace: TraceContext = {},
): Pick<OutboxFields, 'pendingEvents' | 'outboxPendingSince'> {
  const entries = events.map((event) => outboxEntry(event, trace));
  return entries.length === 0
    ? { pendingEvents: [] }
    : { pendingEvents: entries, outboxPendingSince: new Date() };
}

/**
 * Merges "append these events" into an update of the same document, so the change and its
 * events are one atomic write.
 */
export function withOutbox<T>(
  update: UpdateQuery<T>,
  events: readonly TickwatchEvent[],
  trace: TraceContext = {},
): UpdateQuery<T> {
  if (events.length === 0) return update;
  const entries = events.map((event) => outboxEntry(event, trace));
  const push = (update.$push ?? {}) as Record<string, unknown>;
  const min = (update.$min ?? {}) as Record<string, unknown>;
  if ('pendingEvents' in push || 'outboxPendingSince' in min) {
    throw new Error('withOutbox: the update already writes the outbox fields');
  }
  return {
    ...update,
    $push: { ...push, pendingEvents: { $each: entries } },
    // $min keeps the oldest pending time when entries are already waiting.
    $min: { ...min, outboxPendingSince: entries[0]?.addedAt ?? new Date() },
  };
}

/**
 * Adds the outbox's empty lists to what an upsert sets on insert, for the upserts mongoose's
 * schema defaults do not reach (through the driver, or naming their own `$setOnInsert`); not
 * `pendingEvents` when the update pushes entries, which creates the list.
 */
export function withOutboxListsOnInsert<T>(update: UpdateQuery<T>): UpdateQuery<T> {
  const pushes = 'pendingEvents' in ((update.$push ?? {}) as Record<string, unknown>);
  return {
    ...update,
    $setOnInsert: {
      ...((update.$setOnInsert ?? {}) as Record<string, unknown>),
      ...(pushes ? {} : { pendingEvents: [] }),
      failedEvents: [],
    },
  };
}
