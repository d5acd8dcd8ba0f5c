/**
 * The messaging layer's spans (OpenTelemetry messaging semantic conventions; amqplib is not
 * instrumented): a PRODUCER span per publish (`publish <event type>`), ended by the confirm, whose context travels in the message's
 * `traceparent`/`tracestate` headers; a CONSUMER span per delivery (or per ordered batch)
 * that continues the producer's trace and is active while the handler runs, so the handler's
 * own spans and log lines belong to it. Names and attributes are listed in README.md here
 * ("Tracing"); other suites (the cross-service trace test) rely on them.
 *
 * Whose context a publish continues: the one the message carries, if any (an outbox entry
 * stored its command's; a DLQ replay keeps the dead letter's), else the active one. Retry and
 * dead-letter copies are stamped with their failed process span first (`stampedWithActiveTrace`),
 * so a retried message's trace reads publish → process (failed) → publish retry → process.
 *
 * Without a tracer provider (no SDK, OTEL_SDK_DISABLED, tests) every span is non-recording:
 * nothing is injected, and no attribute is built. A span the sampler left out is non-recording
 * too, but its context (sampled flag off) is still injected and active while the handler runs,
 * so a parent-based sampler decides once per trace, across every service it crosses.
 */
import { HEADERS } from '@tickwatch/contracts';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { currentTraceContext } from '../telemetry/trace-context.ts';
import { getTracer, markFailed, SpanKind } from '../telemetry/spans.ts';
import type { Headers, IncomingMessage, OutgoingMessage } from './broker-channel.ts';
import { errorMessage } from './errors.ts';
import type { ConsumeOutcome } from './observer.ts';

// Incubating semantic-convention names, copied as OpenTelemetry advises (they may still change).
const MESSAGING_SYSTEM = 'messaging.system';
const MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
const MESSAGING_OPERATION_NAME = 'messaging.operation.name';
const MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
const MESSAGING_ROUTING_KEY = 'messaging.rabbitmq.destination.routing_key';
const MESSAGING_DELIVERY_TAG = 'messaging.rabbitmq.message.delivery_tag';
const MESSAGING_MESSAGE_ID = 'messaging.message.id';
const MESSAGING_BODY_SIZE = 'messaging.message.body.size';
const MESSAGING_BATCH_COUNT = 'messaging.batch.message_count';
const CLOUDEVENTS_TYPE = 'cloudevents.event_type';
/** Ours: handler attempts including this one (retry tiers, in-place retries, redeliveries). */
export const ATTEMPT_ATTRIBUTE = 'tickwatch.delivery.attempt';
/** Ours: what became of the delivery (ack, retry, dead-letter, requeue, dropped). */
export const OUTCOME_ATTRIBUTE = 'tickwatch.delivery.outcome';

const tracer = getTracer('messaging');

/** The default exchange has no name; spans name it as the broker UI does. */
const exchangeName = (exchange: string): string => exchange || 'amq.default';

/** The trace context a message carries in its headers, or undefined. */
function carriedContext(headers: Headers | undefined): Context | undefined {
  const traceparent = headers?.[HEADERS.traceparent];
  if (typeof traceparent !== 'string') return undefined;
  const tracestate = headers?.[HEADERS.tracestate];
  return propagation.extract(ROOT_CONTEXT, {
    traceparent,
    ...(typeof tracestate === 'string' ? { tracestate } : {}),
  });
}

/** `message` with trace headers naming `span`, or as it is when there is nothing to inject. */
function withTraceOf(message: OutgoingMessage, span: Span): OutgoingMessage {
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  if (carrier.traceparent === undefined) return message;
  return {
    ...message,
    properties: { ...message.properties, headers: { ...message.properties.headers, ...carrier } },
  };
}

/**
 * Publishes `message` through `send` inside a PRODUCER span named `publish <event type>` (the
 * exchange for a message without a type), which ends when the publish settles (confirmed, or
 * failed with its error code).
 */
export function tracedPublish(
  message: OutgoingMessage,
  send: (message: OutgoingMessage) => Promise<void>,
): Promise<void> {
  const { exchange, routingKey, content, properties } = message;
  const parent = carriedContext(properties.headers) ?? context.active();
  const span = tracer.startSpan(
    `publish ${properties.type ?? exchangeName(exchange)}`,
    { kind: SpanKind.PRODUCER },
    parent,
  );
  if (!span.isRecording()) {
    // Not sampled (or no SDK): a sampled-out context still travels, flag off, so that the
    // consumer keeps this decision instead of starting a trace of its own (parent-based).
    const unsampled = trace.isSpanContextValid(span.spanContext());
    return send(unsampled ? withTraceOf(message, span) : message);
  }
  // Set on the span, not passed to startSpan: the SDK validates attributes given at the start
  // twice (before and after sampling), and no sampler of ours decides by them.
  span.setAttributes({
    [MESSAGING_SYSTEM]: 'rabbitmq',
    [MESSAGING_OPERATION_TYPE]: 'send',
    [MESSAGING_OPERATION_NAME]: 'publish',
    [MESSAGING_DESTINATION_NAME]: exchangeName(exchange),
    [MESSAGING_ROUTING_KEY]: routingKey,
    [MESSAGING_MESSAGE_ID]: properties.messageId,
    [MESSAGING_BODY_SIZE]: content.length,
    [CLOUDEVENTS_TYPE]: properties.type,
  });
  return send(withTraceOf(message, span)).then(
    () => {
      span.end();
    },
    (error: unknown) => {
      markFailed(span, error);
      span.end();
      throw error;
    },
  );
}

/**
 * A retry or dead-letter copy made while a delivery's process span is active: stamped with
 * that span's context, so the copy's publish (and its next delivery) continue from the attempt
 * that failed. Unchanged when nothing is traced.
 */
export function stampedWithActiveTrace(copy: OutgoingMessage): OutgoingMessage {
  const active = currentTraceContext();
  if (active.traceparent === undefined) return copy;
  // The copy's own tracestate belonged to the context it replaces.
  const { [HEADERS.tracestate]: _replaced, ...others } = copy.properties.headers ?? {};
  const headers = { ...others, ...active };
  return { ...copy, properties: { ...copy.properties, headers } };
}

/** What a delivery path reports into its process span. */
export interface ProcessSpan {
  /** The delivery (or batch) settled with this outcome; `retry` and `dead-letter` are errors. */
  outcome(outcome: ConsumeOutcome): void;
  /** A handler attempt failed with `error` (recorded as an exception event; it may be retried). */
  failed(error: unknown): void;
  /** Handler attempts so far, including the running one. */
  attempt(attempt: number): void;
}

const notTraced: ProcessSpan = {
  outcome() {},
  failed() {},
  attempt() {},
};

/**
 * Runs `work` (the handling of `messages` from `queue`, one or an ordered batch) inside a
 * CONSUMER span named `process <queue>`: a child of the first message's producer, linked to
 * every message's producer. The span ends when `work` settles.
 */
export function traceProcessing(
  queue: string,
  messages: readonly IncomingMessage[],
  work: (span: ProcessSpan) => Promise<void>,
): Promise<void> {
  const [first] = messages;
  if (!first) return work(notTraced);
  const carried = messages.map((message) => carriedContext(message.headers));
  const links: Link[] = [];
  for (const carrier of carried) {
    const linked = carrier && trace.getSpanContext(carrier);
    if (linked) links.push({ context: linked });
  }
  const span = tracer.startSpan(
    `process ${queue}`,
    { kind: SpanKind.CONSUMER, links },
    carried[0] ?? context.active(),
  );
  if (!span.isRecording()) {
    if (!trace.isSpanContextValid(span.spanContext())) return work(notTraced);
    // Sampled out: the handler still runs in the trace, so what it publishes stays out too.
    return context.with(trace.setSpan(context.active(), span), () => work(notTraced));
  }
  span.setAttributes({
    [MESSAGING_SYSTEM]: 'rabbitmq',
    [MESSAGING_OPERATION_TYPE]: 'process',
    [MESSAGING_OPERATION_NAME]: 'process',
    [MESSAGING_DESTINATION_NAME]: queue,
  });
  if (messages.length === 1) {
    span.setAttributes({
      [MESSAGING_ROUTING_KEY]: first.routingKey,
      [MESSAGING_DELIVERY_TAG]: first.deliveryTag,
      [MESSAGING_BODY_SIZE]: first.content.length,
      [MESSAGING_MESSAGE_ID]: first.messageId,
      [CLOUDEVENTS_TYPE]: first.type,
    });
  } else span.setAttribute(MESSAGING_BATCH_COUNT, messages.length);
  const reporting: ProcessSpan = {
    outcome: (outcome) => {
      span.setAttribute(OUTCOME_ATTRIBUTE, outcome);
      if (outcome === 'retry' || outcome === 'dead-letter') {
        span.setStatus({ code: SpanStatusCode.ERROR, message: `handler failed: ${outcome}` });
      }
    },
    failed: (error) => {
      span.recordException(error instanceof Error ? error : new Error(errorMessage(error)));
    },
    attempt: (attempt) => span.setAttribute(ATTEMPT_ATTRIBUTE, attempt),
  };
  return context
    .with(trace.setSpan(context.active(), span), () => work(reporting))
    .finally(() => {
      span.end();
    });
}
