/**
 * Metrics: one prom-client registry per process (OpenMetrics, so histograms carry the trace id
 * of an observation made inside a sampled span as an exemplar), with the default process
 * metrics, and `defineMetrics` through which every tickwatch metric is declared, named
 * `tickwatch_<scope>_<name>` and checked against metric-rules.ts.
 */
import { trace, TraceFlags } from '@opentelemetry/api';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type OpenMetricsContentType,
} from 'prom-client';
import { metricProblems, type MetricType } from './metric-rules.ts';

export type LabelValues<L extends string> = Readonly<Record<L, string | number>>;

export interface CounterMetric<L extends string> {
  inc(labels: LabelValues<L>, by?: number): void;
}

export interface GaugeMetric<L extends string> {
  set(labels: LabelValues<L>, value: number): void;
  inc(labels: LabelValues<L>, by?: number): void;
  dec(labels: LabelValues<L>, by?: number): void;
}

export interface HistogramMetric<L extends string> {
  /** Records `value`; inside a sampled span, also as the bucket's exemplar (trace_id, span_id). */
  observe(labels: LabelValues<L>, value: number): void;
  /** Starts a clock; the returned function observes the seconds elapsed and returns them. */
  startTimer(labels: LabelValues<L>): (more?: Partial<LabelValues<L>>) => number;
}

interface Declaration<T extends MetricType, L extends string> {
  readonly type: T;
  /** The name after `tickwatch_<scope>_`, with its unit and (counters) `_total`. */
  readonly name: string;
  /** One line for `# HELP` and the README metric table. */
  readonly help: string;
  /** Bounded labels only (metric-rules.ts). */
  readonly labels?: readonly L[];
}

export interface CounterDeclaration<L extends string> extends Declaration<'counter', L> {
  readonly initial?: readonly LabelValues<L>[];
}
export interface GaugeDeclaration<L extends string> extends Declaration<'gauge', L> {
  /** Called at each scrape to set the current value(s), for values kept elsewhere. */
  readonly collect?: (gauge: GaugeMetric<L>) => void | Promise<void>;
}
export interface HistogramDeclaration<L extends string> extends Declaration<'histogram', L> {
  /** Upper bounds in the metric's unit (default: prom-client's 5 ms … 10 s, for seconds). */
  readonly buckets?: readonly number[];
}

type AnyDeclaration =
  CounterDeclaration<string> | GaugeDeclaration<string> | HistogramDeclaration<string>;

type MetricOf<D> =
  D extends CounterDeclaration<infer L>
    ? CounterMetric<L>
    : D extends GaugeDeclaration<infer L>
      ? GaugeMetric<L>
      : D extends HistogramDeclaration<infer L>
        ? HistogramMetric<L>
        : never;

export type MetricsOf<D extends Readonly<Record<string, AnyDeclaration>>> = {
  readonly [K in keyof D]: MetricOf<D[K]>;
};

/** `initial`: label sets created at 0, so a rate over an outcome exists before it happens. */
export const counter = <const L extends string = never>(
  spec: Omit<CounterDeclaration<L>, 'type'>,
): CounterDeclaration<L> => ({ type: 'counter', ...spec });
export const gauge = <const L extends string = never>(
  spec: Omit<GaugeDeclaration<L>, 'type'>,
): GaugeDeclaration<L> => ({ type: 'gauge', ...spec });
export const histogram = <const L extends string = never>(
  spec: Omit<HistogramDeclaration<L>, 'type'>,
): HistogramDeclaration<L> => ({ type: 'histogram', ...spec });

/** A declared metric as the README table and the tests see it. */
export interface MetricDescription {
  /** Full name as exposed (`tickwatch_messaging_published_total`). */
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labels: readonly string[];
  /** The service or infra component that declared it (`gateway`, `messaging`, …). */
  readonly scope: string;
}

export class MetricDeclarationError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`metrics break the naming rules:\n  ${problems.join('\n  ')}`);
    this.name = 'MetricDeclarationError';
    this.problems = problems;
  }
}

export interface MetricsRegistry {
  /** The prom-client registry (OpenMetrics type), for components that take one. */
  readonly registry: Registry<OpenMetricsContentType>;
  /** Every metric declared with `defineMetrics`, in declaration order. */
  catalogue(): readonly MetricDescription[];
}

interface RegistryInternals extends MetricsRegistry {
  readonly declared: Map<string, MetricDescription>;
}

export function createMetricsRegistry(options: { defaultMetrics?: boolean } = {}): MetricsRegistry {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const declared = new Map<string, MetricDescription>();
  const internals: RegistryInternals = {
    registry,
    declared,
    catalogue: () => [...declared.values()],
  };
  return internals;
}

/** The process's registry: what `/metrics` serves. */
export const processMetrics: MetricsRegistry = createMetricsRegistry({ defaultMetrics: true });

/**
 * Declares the metrics of one scope (a service, or an infra component such as `messaging`)
 * in `target` (default: the process registry). Throws one MetricDeclarationError listing every
 * broken rule; names already declared are refused.
 *
 *   export const metrics = defineMetrics('alerter', {
 *     ticks: counter({ name: 'ticks_evaluated_total', help: 'Price ticks evaluated', labels: ['outcome'] }),
 *   });
 *   metrics.ticks.inc({ outcome: 'triggered' });
 */
export function defineMetrics<const D extends Readonly<Record<string, AnyDeclaration>>>(
  scope: string,
  declarations: D,
  target: MetricsRegistry = processMetrics,
): MetricsOf<D> {
  const { declared } = target as RegistryInternals;
  const problems: string[] = [];
  for (const declaration of Object.values(declarations)) {
    const shape = { ...declaration, labels: declaration.labels ?? [] };
    problems.push(...metricProblems(scope, shape));
    const name = `tickwatch_${scope}_${declaration.name}`;
    if (declared.has(name)) problems.push(`${name}: already declared`);
  }
  if (problems.length > 0) throw new MetricDeclarationError(problems);

  const metrics: Record<string, unknown> = {};
  for (const [key, declaration] of Object.entries(declarations)) {
    const description: MetricDescription = {
      name: `tickwatch_${scope}_${declaration.name}`,
      type: declaration.type,
      help: declaration.help,
      labels: [...(declaration.labels ?? [])],
      scope,
    };
    metrics[key] = create(declaration, description, target.registry);
    declared.set(description.name, description);
  }
  return metrics as MetricsOf<D>;
}

function create(
  declaration: AnyDeclaration,
  description: MetricDescription,
  registry: Registry<OpenMetricsContentType>,
) {
  const common = {
    name: description.name,
    help: description.help,
    labelNames: description.labels,
    registers: [registry],
  };
  switch (declaration.type) {
    case 'counter': {
      const metric = new Counter(common);
      for (const labels of declaration.initial ?? []) metric.inc(labels, 0);
      return {
        inc: (labels, by = 1) => {
          metric.inc(labels, by);
        },
      } satisfies CounterMetric<string>;
    }
    case 'gauge': {
      const { collect } = declaration;
      const wrapper: GaugeMetric<string> = {
        set: (labels, value) => {
          metric.set(labels, value);
        },
        inc: (labels, by = 1) => {
          metric.inc(labels, by);
        },
        dec: (labels, by = 1) => {
          metric.dec(labels, by);
        },
      };
      // A scrape must not fail because one source is unavailable (a database closed during
      // shutdown, a slow query): that gauge keeps its last value and the rest still answer.
      const collectSafely = async (): Promise<void> => {
        try {
          await collect?.(wrapper);
        } catch {
          // The source's own component reports its failure; a scrape is no place to log it.
        }
      };
      const metric: Gauge = new Gauge({
        ...common,
        ...(collect ? { collect: collectSafely } : {}),
      });
      return wrapper;
    }
    case 'histogram': {
      const metric = new Histogram({
        ...common,
        ...(declaration.buckets ? { buckets: [...declaration.buckets] } : {}),
        enableExemplars: true,
      });
      const observe = (labels: LabelValues<string>, value: number) => {
        const exemplarLabels = traceExemplar();
        metric.observe(exemplarLabels ? { labels, value, exemplarLabels } : { labels, value });
      };
      return {
        observe,
        startTimer: (labels) => {
          const start = performance.now();
          return (more) => {
            const seconds = (performance.now() - start) / 1000;
            observe({ ...labels, ...more } as LabelValues<string>, seconds);
            return seconds;
          };
        },
      } satisfies HistogramMetric<string>;
    }
  }
}

/** The active span's ids when it is sampled (an unsampled trace id leads nowhere). */
function traceExemplar(): { trace_id: string; span_id: string } | undefined {
  const context = trace.getActiveSpan()?.spanContext();
  if (!context || (context.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  return { trace_id: context.traceId, span_id: context.spanId };
}
