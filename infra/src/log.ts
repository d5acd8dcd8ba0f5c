/**
 * JSON logs for every service (pino). One logger per process, children per component, errors
 * always under `err` so pino serialises type, message and stack. Every line names the `service`
 * and the process `instance`; a line written inside a span carries its `trace_id`, `span_id` and
 * `trace_flags`; secrets and personal data are redacted by key wherever they sit (up to three
 * levels deep), so a careless `logger.info({ user })` cannot leak a password or an address.
 */
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger } from 'pino';
import { instanceId } from './telemetry/instance.ts';

export type { Logger } from 'pino';

export interface LoggerSettings {
  /** The service or tool name, logged as `service` on every line. */
  readonly name: string;
  /** pino level; `silent` in tests unless LOG_LEVEL says otherwise. */
  readonly level?: string;
}

/** Keys whose values never reach a log line. */
export const SECRET_KEYS = [
  'password',
  'newPassword',
  'currentPassword',
  'passwordHash',
  'token',
  // The signed link of an account email (verification, password reset).
  'link',
  'accessToken',
  'refreshToken',
  'apiKey',
  'secret',
  'webhookSecret',
  'authorization',
  'cookie',
] as const;

/** Keys holding an email address: only its domain is logged (`***@example.com`). */
export const EMAIL_KEYS = ['email', 'recipient'] as const;

const REDACTED = '[redacted]';

/** `key`, `*.key`, `*.*.key`, `*.*.*.key`: pino's redaction is by path, not by key. */
function anywhere(keys: readonly string[]): string[] {
  return keys.flatMap((key) => ['', '*.', '*.*.', '*.*.*.'].map((prefix) => prefix + key));
}

export function maskEmail(value: unknown): string {
  if (typeof value !== 'string') return REDACTED;
  const at = value.lastIndexOf('@');
  return at < 0 ? REDACTED : `***${value.slice(at)}`;
}

const emailKeys = new Set<string>(EMAIL_KEYS);

/** The active span's ids, as the OpenTelemetry log correlation fields (a new object: pino merges into it). */
function traceFields(): object {
  const context = trace.getActiveSpan()?.spanContext();
  if (!context || !isSpanContextValid(context)) return {};
  return {
    trace_id: context.traceId,
    span_id: context.spanId,
    trace_flags: `0${context.traceFlags.toString(16)}`.slice(-2),
  };
}

/** Level when none is given: LOG_LEVEL, else `silent` under mocha (noise hides failures), else `info`. */
function defaultLevel(): string {
  return process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info');
}

/** `destination` defaults to stdout; tests pass a stream to read the lines back. */
export function createLogger(settings: LoggerSettings, destination?: DestinationStream): Logger {
  const options = {
    level: settings.level ?? defaultLevel(),
    base: { service: settings.name, instance: instanceId() },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    mixin: traceFields,
    redact: {
      paths: anywhere([...SECRET_KEYS, ...EMAIL_KEYS]),
      censor: (value: unknown, path: string[]) =>
        emailKeys.has(path.at(-1) ?? '') ? maskEmail(value) : REDACTED,
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
