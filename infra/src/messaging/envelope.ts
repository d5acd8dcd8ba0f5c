/**
 * CloudEvents envelope ↔ AMQP message (DESIGN.md §4): the JSON envelope is the body, and the
 * AMQP properties mirror it (messageId = id, type, timestamp, contentType, appId = source) so
 * the broker UI, the DLQ tool and the OTel amqplib instrumentation can read them without
 * parsing the body. Validation happens on both sides with the contracts' schemas.
 */
import {
  EXCHANGES,
  HEADERS,
  parseEvent,
  routingKey,
  serializeEvent,
  validateEvent,
  type EventValidationError,
  type TickwatchEvent,
} from '@tickwatch/contracts';
import type { IncomingMessage } from './broker-channel.ts';
import type { OutgoingMessage } from './publisher.ts';

export interface EncodeOptions {
  /** W3C trace context of the producing span (the outbox stores it with the pending event). */
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/**
 * Validates (unknown fields stripped, missing or mistyped ones rejected) and encodes an event
 * for `tickwatch.events`. Throws EventValidationError naming each bad field: an invalid event
 * never reaches the broker.
 */
export function encodeEvent(event: TickwatchEvent, options: EncodeOptions = {}): OutgoingMessage {
  const result = validateEvent(event);
  if (!result.ok) throw result.error;
  const valid = result.event;
  return {
    exchange: EXCHANGES.events,
    routingKey: routingKey(valid),
    content: serializeEvent(valid),
    properties: {
      messageId: valid.id,
      type: valid.type,
      timestamp: Math.floor(Date.parse(valid.time) / 1000),
      contentType: valid.datacontenttype,
      appId: valid.source,
      // Most publishes carry no trace context: no header object for them.
      ...(options.traceparent || options.tracestate ? { headers: traceHeaders(options) } : {}),
    },
  };
}

function traceHeaders({ traceparent, tracestate }: EncodeOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  if (traceparent) headers[HEADERS.traceparent] = traceparent;
  if (tracestate) headers[HEADERS.tracestate] = tracestate;
  return headers;
}

export type DecodeResult =
  | { readonly ok: true; readonly event: TickwatchEvent }
  | { readonly ok: false; readonly error: EventValidationError };

/** Decodes and validates a delivery's body; never throws. */
export function decodeEvent(message: IncomingMessage): DecodeResult {
  return parseEvent(message.content);
}
