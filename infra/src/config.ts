/**
 * Environment configuration: every setting declares its variable, schema, default and purpose in
 * one place, is validated once at start-up and frozen. A bad configuration stops the process with
 * one error that lists every bad variable, not just the first.
 */
import { z } from 'zod';

export interface Setting<T> {
  /** Parses the raw string (or the default) into the typed value. */
  readonly schema: z.ZodType<T, string>;
  /** One line for `.env.example` and the README table. */
  readonly description: string;
  /** Raw default used when the variable is unset or empty; none means the variable is required. */
  readonly default?: string;
  /** A secret: masked in logs, and its default is refused when NODE_ENV=production. */
  readonly secret?: boolean;
}

export type SettingsSpec = Readonly<Record<string, Setting<unknown>>>;
export type ConfigOf<S extends SettingsSpec> = {
  readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never;
};

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function setting<T>(
  schema: z.ZodType<T, string>,
  description: string,
  options: { default?: string; secret?: boolean } = {},
): Setting<T> {
  return { schema, description, ...options };
}

/** Schemas for the value kinds the services use; each takes the raw environment string. */
export const env = {
  string: () => z.string().min(1),
  int: (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) =>
    z
      .string()
      .regex(/^-?\d+$/, 'expected an integer')
      .transform(Number)
      .pipe(z.number().int().min(min).max(max)),
  port: () => env.int(0, 65535),
  /** A duration such as `500ms`, `15s`, `5m`, `1h` (a unit is required), parsed to milliseconds. */
  duration: (minMs = 0, maxMs = Number.MAX_SAFE_INTEGER) =>
    z
      .string()
      .regex(DURATION, 'expected a duration with a unit, e.g. 500ms, 15s, 5m, 1h')
      .transform(durationMs)
      .pipe(z.number().min(minMs, tooShort(minMs)).max(maxMs, tooLong(maxMs))),
  /** A decimal number such as `0.5` or `25`. */
  number: (min = -Number.MAX_VALUE, max = Number.MAX_VALUE) =>
    z
      .string()
      .regex(/^-?\d+(\.\d+)?$/, 'expected a number')
      .transform(Number)
      .pipe(z.number().min(min).max(max)),
  boolean: () =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .transform((v) => ['true', '1', 'yes'].includes(v)),
  url: (protocols: readonly string[]) =>
    z
      .url()
      // An unparseable value is z.url()'s to report (zod runs every check, even after a failure).
      .refine((v) => !URL.canParse(v) || protocols.includes(new URL(v).protocol.slice(0, -1)), {
        message: `expected a URL with protocol ${protocols.join(' or ')}`,
      }),
  oneOf: <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values),
  /** Comma-separated list; empty entries are dropped. */
  list: () =>
    z.string().transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
} as const;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

function durationMs(text: string): number {
  const [, amount = '0', unit = 'ms'] = DURATION.exec(text) ?? [];
  return Math.round(Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]);
}

/** `90000` → `90s`, `300000` → `5m`: for the messages of a duration out of range. */
function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1_000 && ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

const tooShort = (minMs: number) => ({ message: `must be at least ${formatDuration(minMs)}` });
const tooLong = (maxMs: number) => ({ message: `must be at most ${formatDuration(maxMs)}` });

/**
 * Reads every setting of `spec` from `source`. Throws a ConfigError naming each missing or
 * invalid variable with its reason; secrets left at their default are refused in production.
 */
export function loadConfig<S extends SettingsSpec>(
  spec: S,
  source: NodeJS.ProcessEnv = process.env,
): ConfigOf<S> {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  const production = source.NODE_ENV === 'production';
  for (const [name, item] of Object.entries(spec)) {
    const given = source[name];
    const raw = given === undefined || given === '' ? item.default : given;
    if (raw === undefined) {
      problems.push(`${name}: required (${item.description})`);
      continue;
    }
    if (item.secret && production && raw === item.default) {
      problems.push(`${name}: the development default must not be used when NODE_ENV=production`);
      continue;
    }
    const parsed = item.schema.safeParse(raw);
    if (parsed.success) values[name] = parsed.data;
    else problems.push(`${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(values) as ConfigOf<S>;
}

/** `amqp://user:secret@host` → `amqp://user:***@host`, for logs. */
export function loggableUrl(url: string): string {
  if (URL.canParse(url)) {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  }
  // Not a WHATWG URL, e.g. a MongoDB replica set's `mongodb://u:p@h1:27017,h2:27017/`.
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url)
    ? url.replace(/^([^:]+:\/\/[^:@/]*):[^@/]*@/, '$1:***@')
    : '<unparseable url>';
}
