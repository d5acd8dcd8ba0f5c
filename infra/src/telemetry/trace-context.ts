/**
 * W3C trace context as data, for work that crosses a message: what the operation running now
 * is (stored with outbox entries so the relay publishes them as part of its trace), and how to
 * continue a trace a message carried. Without an SDK registered (tests, tools) the propagator
 * is a no-op: the context read is empty and work continues in no trace.
 */
import { context, propagation, trace } from '@opentelemetry/api';

export interface TraceCarrier {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/** The trace context of the active span, as headers. */
export function currentTraceContext(): TraceCarrier {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return {
    ...(carrier.traceparent ? { traceparent: carrier.traceparent } : {}),
    ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}),
  };
}

/**
 * Runs `work` as part of the trace `carrier` names (a message's headers), unless a span is
 * already active (the messaging layer's consumer span, itself a child of that trace).
 */
export function continueTrace<T>(carrier: TraceCarrier, work: () => T): T {
  if (trace.getActiveSpan()) return work();
  return context.with(propagation.extract(context.active(), carrier), work);
}
