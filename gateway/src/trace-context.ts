/**
 * The W3C trace context of the operation running now (from the active OpenTelemetry context),
 * stored with a command's outbox entries so the relay publishes them as part of its trace.
 * Without an SDK registered (tests, tools) the propagator is a no-op and this is empty.
 */
import { context, propagation } from '@opentelemetry/api';
import type { TraceContext } from '@tickwatch/infra/messaging/outbox';

export function currentTraceContext(): TraceContext {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return {
    ...(carrier.traceparent ? { traceparent: carrier.traceparent } : {}),
    ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}),
  };
}
