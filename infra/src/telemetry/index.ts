/**
 * @tickwatch/infra/telemetry: traces, metrics and process identity for service code. The SDK
 * itself is started by the bootstrap (`node --import=@tickwatch/infra/telemetry/register`, see
 * launch.ts); this module is only the API. README.md here has examples.
 */
export { instanceId } from './instance.ts';
export { messagingMetrics } from './messaging-metrics.ts';
export { TELEMETRY_IMPORT, nodeArguments } from './launch.ts';
export {
  counter,
  createMetricsRegistry,
  defineMetrics,
  gauge,
  histogram,
  MetricDeclarationError,
  processMetrics,
  type CounterMetric,
  type GaugeMetric,
  type HistogramMetric,
  type LabelValues,
  type MetricDescription,
  type MetricsRegistry,
} from './metrics.ts';
export { HISTOGRAM_UNITS, UNBOUNDED_LABELS, type MetricType } from './metric-rules.ts';
export {
  acceptsOpenMetrics,
  metricsHandler,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
} from './metrics-endpoint.ts';
export { shutdownTelemetry } from './sdk-handle.ts';
export { TELEMETRY_VARIABLES, type TelemetryVariable } from './variables.ts';
export { continueTrace, currentTraceContext, type TraceCarrier } from './trace-context.ts';
export {
  getTracer,
  markFailed,
  SpanKind,
  withSpan,
  type Span,
  type SpanOptions,
  type Tracer,
} from './spans.ts';
