/**
 * The messaging layer's spans, so one trace follows an event from its publisher through every
 * consumer (amqplib is not instrumented: these are the messaging spans).
 *
 * - publish: a PRODUCER span around each confirmed publish (`publish <event type>`), its context
 *   sent as the message's `traceparent`. Its parent is the trace context already in the headers
 *   (an outbox entry's, stored with the state change; a DLQ message's on replay), else the
 *   active span: the collector's fetch, the gateway's mutation.
 * - process: a CONSUMER span around each handler run (`process <queue>`), a child of the
 *   message's context; a retried copy keeps its headers, so every attempt is a child of the same
 *   publish. An ordered batch has one span for the handler run, a child of its first message's
 *   context, with a link to each message's (semantic conventions for batch receiving).
 *
 * Without an SDK registered (tests, tools) the spans are no-ops and no header is added.
 */
import { HEADERS, type TickwatchEvent } from '@tickwatch/contracts';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Link,
  type SpanOptions,
} from '@opentelemetry/api';
import { getTracer, SpanKind, withSpan } from '../telemetry/spans.ts';
import type { Headers } from './broker-channel.ts';
import type { OutgoingMessage } from './publisher.ts';

const tracer = getTracer('messaging');

const carrier = (headers: Headers | undefined): Record<string, string> => {
  const found: Record<string, string> = {};
  for (const name of [HEADERS.traceparent, HEADERS.tracestate]) {
    const value = headers?.[name];
    if (typeof value === 'string') found[name] = value;
  }
  return found;
};

/** Publishes `message` inside its PRODUCER span, with that span's context in its headers. */
export function tracedPublish(
  message: OutgoingMessage,
  publish: (message: OutgoingMessage) => Promise<void>,
): Promise<void> {
  const { properties } = message;
  const stored = carrier(properties.headers);
  const parent = stored[HEADERS.traceparent]
    ? propagation.extract(context.active(), stored)
    : context.active();
  const options: SpanOptions = {
    kind: SpanKind.PRODUCER,
    attributes: {
      'messaging.system': 'rabbitmq',
      'messaging.operation.type': 'send',
      'messaging.destination.name': message.exchange,
      'messaging.rabbitmq.destination.routing_key': message.routingKey,
      'messaging.message.id': properties.messageId,
      ...(properties.type ? { 'cloudevents.event_type': properties.type } : {}),
    },
  };
  return context.with(parent, () =>
    withSpan(tracer, `publish ${properties.type ?? message.exchange}`, options, () => {
      const headers: Record<string, string> = {};
      propagation.inject(context.active(), headers);
      if (!headers[HEADERS.traceparent]) return publish(message);
      return publish({
        ...message,
        properties: { ...properties, headers: { ...properties.headers, ...headers } },
      });
    }),
  );
}

const consumerAttributes = (queue: string) => ({
  'messaging.system': 'rabbitmq',
  'messaging.operation.type': 'process',
  'messaging.destination.name': queue,
});

/** Runs a work or live queue's handler for one message inside its CONSUMER span. */
export function tracedProcess<T>(
  queue: string,
  event: TickwatchEvent,
  headers: Headers,
  attempt: number,
  work: () => Promise<T>,
): Promise<T> {
  const parent = propagation.extract(ROOT_CONTEXT, carrier(headers));
  const options: SpanOptions = {
    kind: SpanKind.CONSUMER,
    attributes: {
      ...consumerAttributes(queue),
      'messaging.message.id': event.id,
      'cloudevents.event_type': event.type,
      'tickwatch.delivery.attempt': attempt,
    },
  };
  return context.with(parent, () => withSpan(tracer, `process ${queue}`, options, work));
}

/** Runs an ordered batch's handler inside one CONSUMER span linked to every message's context. */
export function tracedBatch<T>(
  queue: string,
  headers: readonly Headers[],
  attempt: number,
  work: () => Promise<T>,
): Promise<T> {
  const contexts = headers.map((each) => propagation.extract(ROOT_CONTEXT, carrier(each)));
  const links: Link[] = contexts.flatMap((each) => {
    const span = trace.getSpanContext(each);
    return span ? [{ context: span }] : [];
  });
  const options: SpanOptions = {
    kind: SpanKind.CONSUMER,
    links,
    attributes: {
      ...consumerAttributes(queue),
      'messaging.batch.message_count': headers.length,
      'tickwatch.delivery.attempt': attempt,
    },
  };
  const parent = contexts.find((each) => trace.getSpanContext(each)) ?? ROOT_CONTEXT;
  return context.with(parent, () => withSpan(tracer, `process ${queue}`, options, work));
}
