/**
 * The naming and labelling rules every tickwatch metric follows, checked when it is declared
 * (so a bad name fails the first test that imports it, not a dashboard months later):
 * Prometheus conventions (snake_case, base units in the name, `_total` on counters and only
 * there) and bounded label cardinality (no label that can hold a user, an event or free text).
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

const NAME = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const LABEL = /^[a-z][a-z0-9_]*$/;

/** The unit a histogram's name ends with: base units, or the things it counts. */
export const HISTOGRAM_UNITS = ['seconds', 'bytes', 'ratio', 'messages', 'events', 'documents'];

/** Scaled or non-base units: Prometheus wants seconds and bytes (and ratios, not percents). */
const NON_BASE_UNITS = new Set([
  'ms',
  'millis',
  'milliseconds',
  'us',
  'microseconds',
  'ns',
  'nanoseconds',
  'minutes',
  'hours',
  'days',
  'kb',
  'kib',
  'kilobytes',
  'mb',
  'mib',
  'megabytes',
  'gb',
  'gib',
  'gigabytes',
  'percent',
]);

/** Suffixes the exposition formats add themselves. */
const RESERVED_SUFFIXES = ['_count', '_sum', '_bucket', '_created'];

/**
 * Labels whose values are unbounded: every user, event, request or error text would be a new
 * time series in Prometheus. Put such values in spans and logs instead.
 */
export const UNBOUNDED_LABELS = new Set([
  'id',
  'user',
  'user_id',
  'email',
  'event_id',
  'message_id',
  'request_id',
  'correlation_id',
  'trace_id',
  'span_id',
  'rule_id',
  'message',
  'msg',
  'error',
  'error_message',
  'text',
  'detail',
  'url',
  'query',
  'token',
  'ip',
]);

/** Labels Prometheus itself reserves. */
const RESERVED_LABELS = new Set(['le', 'quantile', 'job', 'instance']);

export interface MetricShape {
  readonly type: MetricType;
  /** The name after `tickwatch_<scope>_`. */
  readonly name: string;
  readonly help: string;
  readonly labels: readonly string[];
}

/** Every rule `shape` breaks, as one readable line each (empty when it follows them all). */
export function metricProblems(scope: string, shape: MetricShape): string[] {
  const { type, name, help, labels } = shape;
  const problems: string[] = [];
  const at = `tickwatch_${scope}_${name}`;
  if (!LABEL.test(scope)) problems.push(`${at}: scope "${scope}" must be snake_case`);
  if (!NAME.test(name)) problems.push(`${at}: name "${name}" must be snake_case`);
  if (name.startsWith('tickwatch_')) {
    problems.push(`${at}: leave out the tickwatch_ prefix, it is added`);
  }
  if (type === 'counter' && !name.endsWith('_total')) {
    problems.push(`${at}: a counter's name ends with _total`);
  }
  if (type !== 'counter' && name.endsWith('_total')) {
    problems.push(`${at}: only counters end with _total`);
  }
  for (const suffix of RESERVED_SUFFIXES) {
    if (name.endsWith(suffix)) problems.push(`${at}: ${suffix} is added by the exposition format`);
  }
  const words = name.split('_');
  for (const word of words) {
    if (NON_BASE_UNITS.has(word)) {
      problems.push(`${at}: "${word}" is not a base unit (use seconds, bytes or ratio)`);
    }
  }
  if (type === 'histogram' && !HISTOGRAM_UNITS.includes(words.at(-1) ?? '')) {
    problems.push(`${at}: a histogram's name ends with its unit (${HISTOGRAM_UNITS.join(', ')})`);
  }
  if (help.trim() === '' || help.includes('\n')) {
    problems.push(`${at}: help must be one non-empty line`);
  }
  const seen = new Set<string>();
  for (const label of labels) {
    if (!LABEL.test(label) || label.startsWith('__')) {
      problems.push(`${at}: label "${label}" must be snake_case`);
    } else if (RESERVED_LABELS.has(label)) {
      problems.push(`${at}: label "${label}" is reserved by Prometheus`);
    } else if (UNBOUNDED_LABELS.has(label)) {
      problems.push(`${at}: label "${label}" is unbounded; put such values in spans and logs`);
    }
    if (seen.has(label)) problems.push(`${at}: label "${label}" is declared twice`);
    seen.add(label);
  }
  return problems;
}
