/**
 * The variables that configure tracing, declared once for the README table and `.env.example`
 * (scripts/docs.ts): the standard OpenTelemetry ones tickwatch honours, which the SDK reads
 * itself (tracing-settings.ts decides from the first few whether to start it), and tickwatch's
 * own (read in tracing.ts). This is their documentation, not their parser.
 */
export interface TelemetryVariable {
  readonly name: string;
  /** What applies when unset, as a reader would say it. */
  readonly default: string;
  readonly description: string;
  readonly secret?: boolean;
}

export const TELEMETRY_VARIABLES: readonly TelemetryVariable[] = [
  {
    name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    default: '(none: no tracing at all)',
    description:
      'Base URL of the OTLP collector, e.g. `http://jaeger:4318`; spans go to `<url>/v1/traces`',
  },
  {
    name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    default: '(none)',
    description: 'Full URL for spans only; takes precedence over the base URL',
  },
  {
    name: 'OTEL_EXPORTER_OTLP_PROTOCOL',
    default: 'http/protobuf',
    description: 'OTLP encoding: `http/protobuf`, `http/json` or `grpc`',
  },
  {
    name: 'OTEL_EXPORTER_OTLP_HEADERS',
    default: '(none)',
    description: 'Headers for a hosted backend, `key=value,…` (credentials: keep out of the repo)',
    secret: true,
  },
  {
    name: 'OTEL_SERVICE_NAME',
    default: 'the entry point (`gateway`, `dlq`, …)',
    description: 'The `service.name` of the spans',
  },
  {
    name: 'OTEL_RESOURCE_ATTRIBUTES',
    default: '(none)',
    description:
      'Extra resource attributes, `key=value,…`; a `service.instance.id` here also becomes the process instance id (logs, live queue name)',
  },
  {
    name: 'OTEL_TRACES_SAMPLER',
    default: 'parentbased_always_on',
    description:
      'Sampler; a trace started elsewhere keeps its caller’s decision. `parentbased_traceidratio` with `OTEL_TRACES_SAMPLER_ARG=0.1` keeps 10 % of new traces',
  },
  {
    name: 'OTEL_TRACES_SAMPLER_ARG',
    default: '(none)',
    description: 'The ratio for the ratio samplers',
  },
  {
    name: 'OTEL_TRACES_EXPORTER',
    default: 'otlp',
    description: '`console` prints spans on stdout (no endpoint needed); `none` turns tracing off',
  },
  {
    name: 'OTEL_SDK_DISABLED',
    default: 'false',
    description: '`true` turns tracing off even with an endpoint set',
  },
  {
    name: 'OTEL_BSP_SCHEDULE_DELAY',
    default: '5000',
    description:
      'Milliseconds between batch exports (queued spans are also flushed on graceful shutdown)',
  },
  {
    name: 'TICKWATCH_GRAPHQL_RESOLVE_SPANS',
    default: 'false',
    description:
      '`true` adds a span per resolved GraphQL field (trivial property reads excepted), to find a slow resolver',
  },
  {
    name: 'OTEL_LOG_LEVEL',
    default: '(SDK warnings go to the service log)',
    description: "The SDK's own diagnostics on the console at this level (`debug` to see exports)",
  },
];
