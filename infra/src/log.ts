/**
 * JSON logs for every service (pino). One logger per process, children per component, errors
 * always under `err` so pino serialises type, message and stack.
 */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerSettings {
  /** The service or tool name, logged as `service` on every line. */
  readonly name: string;
  /** pino level; `silent` in tests unless LOG_LEVEL says otherwise. */
  readonly level?: string;
}

/** Level when none is given: LOG_LEVEL, else `silent` under mocha (noise hides failures), else `info`. */
function defaultLevel(): string {
  return process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info');
}

export function createLogger(settings: LoggerSettings): Logger {
  return pino({
    level: settings.level ?? defaultLevel(),
    base: { service: settings.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
