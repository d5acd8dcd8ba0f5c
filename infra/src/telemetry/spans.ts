/**
 * What service code needs to trace its own work: a tracer by name and `withSpan`, which runs a
 * function inside an active span and never forgets the bookkeeping (exception recorded, status
 * ERROR with `error.type`, span ended) even when the function throws or rejects.
 * Without a trace backend the API is a no-op and this costs next to nothing.
 */
import {
  SpanStatusCode,
  trace,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import { version } from './version.ts';

export type { Attributes, Span, SpanOptions, Tracer } from '@opentelemetry/api';
export { SpanKind } from '@opentelemetry/api';

/**
 * The tracer of a service or component, named as in the trace UI's "library" field. Modules
 * keep it in a constant, so it looks the provider up at each span: the API's own tracer binds
 * to the first provider it sees for good, and tests register one provider after another.
 */
export function getTracer(name: string): Tracer {
  const current = (): Tracer => trace.getTracer(`tickwatch.${name}`, version);
  return {
    startSpan: (spanName, options, parent) => current().startSpan(spanName, options, parent),
    startActiveSpan: ((...args: Parameters<Tracer['startActiveSpan']>) =>
      current().startActiveSpan(...args)) as Tracer['startActiveSpan'],
  };
}

/**
 * Runs `work` in a new active span (children and log lines made inside it belong to it). A
 * promise is awaited before the span ends; a throw or rejection is recorded and rethrown.
 *
 *   const tracer = getTracer('alerter');
 *   await withSpan(tracer, 'evaluate rules', { attributes: { 'tickwatch.ticker': ticker } }, () => evaluate(tick));
 */
export function withSpan<T>(tracer: Tracer, name: string, work: (span: Span) => T): T;
export function withSpan<T>(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  work: (span: Span) => T,
): T;
export function withSpan<T>(
  tracer: Tracer,
  name: string,
  optionsOrWork: SpanOptions | ((span: Span) => T),
  maybeWork?: (span: Span) => T,
): T {
  const [options, work] =
    typeof optionsOrWork === 'function' ? [{}, optionsOrWork] : [optionsOrWork, maybeWork];
  if (!work) throw new TypeError('withSpan needs a function to run');
  return tracer.startActiveSpan(name, options, (span) => {
    let result: T;
    try {
      result = work(span);
    } catch (error) {
      markFailed(span, error);
      span.end();
      throw error;
    }
    if (!(result instanceof Promise)) {
      span.end();
      return result;
    }
    return result
      .then(
        (value: unknown) => value,
        (error: unknown) => {
          markFailed(span, error);
          throw error;
        },
      )
      .finally(() => {
        span.end();
      }) as T;
  });
}

/** Records `error` on `span`: exception event, ERROR status, and `error.type` (code or class). */
export function markFailed(span: Span, error: unknown): void {
  const failure = error instanceof Error ? error : new Error(String(error));
  span.recordException(failure);
  span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
  span.setAttribute('error.type', errorType(failure));
}

function errorType(error: Error): string {
  const { code } = error as { code?: unknown };
  return typeof code === 'string' && code !== '' ? code : error.name;
}
