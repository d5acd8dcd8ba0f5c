/**
 * What the standard OTEL_* variables ask of tracing, decided before anything heavy loads: with
 * no endpoint (and no non-OTLP exporter) configured, the bootstrap does nothing at all, so a
 * process without a trace backend pays nothing.
 */
import { basename, dirname } from 'node:path';

type Environment = Readonly<Record<string, string | undefined>>;

const truthy = (value: string | undefined) => value?.trim().toLowerCase() === 'true';

/** The exporters named by OTEL_TRACES_EXPORTER (default `otlp`). */
function traceExporters(env: Environment): string[] {
  const named = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  return named.length > 0 ? named : ['otlp'];
}

/**
 * True when spans have somewhere to go: OTEL_SDK_DISABLED is not `true`, OTEL_TRACES_EXPORTER
 * is not `none`, and either an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or another exporter (`console`, `zipkin`) is asked for.
 * The OTLP exporters would otherwise default to localhost:4318 and fail every export.
 */
export function tracingWanted(env: Environment): boolean {
  if (truthy(env.OTEL_SDK_DISABLED)) return false;
  const exporters = traceExporters(env);
  if (exporters[0] === 'none') return false;
  const endpoint = Boolean(
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim(),
  );
  return endpoint || exporters.some((name) => name !== 'otlp' && name !== 'none');
}

/**
 * The default `service.name` of a process, from its entry point: `<service>/src/main.ts` is
 * `<service>`, any other script is its file name (`scripts/dlq.ts` is `dlq`). OTEL_SERVICE_NAME
 * overrides it.
 */
export function serviceNameOf(entry: string | undefined, env: Environment): string {
  const configured = env.OTEL_SERVICE_NAME?.trim();
  if (configured) return configured;
  if (!entry) return 'tickwatch';
  const file = basename(entry).replace(/\.[cm]?[jt]s$/, '');
  return file === 'main' && basename(dirname(entry)) === 'src'
    ? basename(dirname(dirname(entry)))
    : file;
}
