/**
 * The OpenTelemetry SDK of a tickwatch process, configured by the standard OTEL_* variables
 * (endpoint, protocol, sampler, batch processor, resource attributes) on top of these choices:
 * the resource names the service, its version and this process's instance id; metrics go
 * through prom-client and logs to stdout, so the SDK's metric and log exporters are off; and
 * the messaging layer makes its own publish/consume spans, so amqplib is not instrumented.
 *
 * Loaded only by register.ts, after the ESM loader hook is in place.
 */
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { MongooseInstrumentation } from '@opentelemetry/instrumentation-mongoose';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import {
  defaultResource,
  hostDetector,
  osDetector,
  processDetector,
  resourceAttributesEnvDetector,
  resourceFromAttributes,
  serviceNameEnvDetector,
} from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  ATTR_SERVICE_INSTANCE_ID,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions';
import type { Logger } from '../log.ts';

/** Probes and scrapes: a span per health check would bury the traces worth reading. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export interface TracingOptions {
  readonly serviceName: string;
  readonly serviceVersion: string;
  readonly instanceId: string;
  /** Where the SDK's own warnings go (export failures, bad OTEL_* values). */
  readonly logger: Logger;
}

export interface Tracing {
  /** Ends tracing: flushes the spans still queued in the batch processor, then stops. */
  shutdown(): Promise<void>;
}

export function instrumentations() {
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request) =>
        UNTRACED_PATHS.has(new URL(request.url ?? '/', 'http://localhost').pathname),
    }),
    new UndiciInstrumentation(),
    new ExpressInstrumentation(),
    // One span per operation (parse, validate, execute), not per resolved field: a list of
    // quotes would otherwise make hundreds of spans (TICKWATCH_GRAPHQL_RESOLVE_SPANS=true when
    // hunting a slow resolver). Argument values never reach a span.
    new GraphQLInstrumentation({
      ignoreResolveSpans: process.env.TICKWATCH_GRAPHQL_RESOLVE_SPANS !== 'true',
      ignoreTrivialResolveSpans: true,
      mergeItems: true,
      allowValues: false,
    }),
    // Statements are recorded with their values replaced by `?` (no personal data in spans).
    new MongoDBInstrumentation({ enhancedDatabaseReporting: false }),
    // A mongoose span and, below it, no second span for the same driver command.
    new MongooseInstrumentation({ suppressInternalInstrumentation: true }),
  ];
}

export function startTracing(options: TracingOptions): Tracing {
  if (process.env.OTEL_LOG_LEVEL === undefined) {
    diag.setLogger(diagToPino(options.logger), DiagLogLevel.WARN);
  }
  const sdk = new NodeSDK({
    resource: defaultResource().merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: options.serviceName,
        [ATTR_SERVICE_VERSION]: options.serviceVersion,
        [ATTR_SERVICE_INSTANCE_ID]: options.instanceId,
      }),
    ),
    // The env detectors come last so OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME win; no
    // serviceinstance detector: it would replace our instance id with a random one.
    resourceDetectors: [
      hostDetector,
      osDetector,
      processDetector,
      resourceAttributesEnvDetector,
      serviceNameEnvDetector,
    ],
    instrumentations: instrumentations(),
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return {
    shutdown: () =>
      sdk.shutdown().catch((error: unknown) => {
        options.logger.error(
          { err: error, component: 'telemetry' },
          'queued spans could not be exported at shutdown',
        );
      }),
  };
}

function diagToPino(logger: Logger): DiagLogger {
  const log = logger.child({ component: 'telemetry' });
  const write =
    (level: 'error' | 'warn' | 'info' | 'debug' | 'trace') =>
    (message: string, ...args: unknown[]) => {
      const fields = args.length > 0 ? { details: args } : {};
      // The SDK's error handler passes an exception serialised to JSON: log it as `err`.
      const error = jsonObject(message);
      if (error) {
        const text = typeof error.message === 'string' ? error.message : 'telemetry error';
        log[level]({ ...fields, err: error }, text);
      } else log[level](fields, message);
    };
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    verbose: write('trace'),
  };
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
