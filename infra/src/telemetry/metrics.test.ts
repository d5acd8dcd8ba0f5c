import { expect } from 'chai';
import { getTracer, withSpan } from './spans.ts';
import {
  counter,
  createMetricsRegistry,
  defineMetrics,
  gauge,
  histogram,
  MetricDeclarationError,
} from './metrics.ts';
import { startInMemoryTracing } from './testing/in-memory-tracing.ts';

const declarationError = (declare: () => unknown): readonly string[] => {
  try {
    declare();
  } catch (error) {
    if (error instanceof MetricDeclarationError) return error.problems;
    throw error;
  }
  expect.fail('the declaration was accepted');
};

describe('defineMetrics', () => {
  it('names metrics tickwatch_<scope>_<name> and lists them in the catalogue', async () => {
    const target = createMetricsRegistry();
    const metrics = defineMetrics(
      'alerter',
      {
        ticks: counter({
          name: 'ticks_evaluated_total',
          help: 'Price ticks evaluated against the rules',
          labels: ['outcome'],
          initial: [{ outcome: 'triggered' }, { outcome: 'quiet' }],
        }),
        rules: gauge({ name: 'rules', help: 'Rules held in memory' }),
        evaluation: histogram({
          name: 'tick_evaluation_duration_seconds',
          help: 'Time to evaluate one tick',
          buckets: [0.001, 0.01],
        }),
      },
      target,
    );
    metrics.ticks.inc({ outcome: 'triggered' });
    metrics.ticks.inc({ outcome: 'triggered' }, 2);
    metrics.rules.set({}, 7);
    metrics.rules.dec({});
    metrics.evaluation.observe({}, 0.005);

    expect(target.catalogue()).to.deep.equal([
      {
        name: 'tickwatch_alerter_ticks_evaluated_total',
        type: 'counter',
        help: 'Price ticks evaluated against the rules',
        labels: ['outcome'],
        scope: 'alerter',
      },
      {
        name: 'tickwatch_alerter_rules',
        type: 'gauge',
        help: 'Rules held in memory',
        labels: [],
        scope: 'alerter',
      },
      {
        name: 'tickwatch_alerter_tick_evaluation_duration_seconds',
        type: 'histogram',
        help: 'Time to evaluate one tick',
        labels: [],
        scope: 'alerter',
      },
    ]);
    expect(await target.registry.metrics()).to.equal(
      [
        '# HELP tickwatch_alerter_ticks_evaluated Price ticks evaluated against the rules',
        '# TYPE tickwatch_alerter_ticks_evaluated counter',
        'tickwatch_alerter_ticks_evaluated_total{outcome="triggered"} 3',
        'tickwatch_alerter_ticks_evaluated_total{outcome="quiet"} 0',
        '# HELP tickwatch_alerter_rules Rules held in memory',
        '# TYPE tickwatch_alerter_rules gauge',
        'tickwatch_alerter_rules 6',
        '# HELP tickwatch_alerter_tick_evaluation_duration_seconds Time to evaluate one tick',
        '# TYPE tickwatch_alerter_tick_evaluation_duration_seconds histogram',
        'tickwatch_alerter_tick_evaluation_duration_seconds_bucket{le="0.001"} 0',
        'tickwatch_alerter_tick_evaluation_duration_seconds_bucket{le="0.01"} 1',
        'tickwatch_alerter_tick_evaluation_duration_seconds_bucket{le="+Inf"} 1',
        'tickwatch_alerter_tick_evaluation_duration_seconds_sum 0.005',
        'tickwatch_alerter_tick_evaluation_duration_seconds_count 1',
        '# EOF',
        '',
      ].join('\n'),
    );
  });

  it('refuses every broken naming and labelling rule at once', () => {
    const problems = declarationError(() =>
      defineMetrics(
        'notifier',
        {
          a: counter({ name: 'emails_sent', help: 'Emails sent' }),
          b: gauge({ name: 'queue_total', help: 'Queue' }),
          c: histogram({ name: 'send_latency_ms', help: 'Send latency' }),
          d: histogram({ name: 'send_time', help: 'Send time' }),
          e: counter({ name: 'tickwatch_sent_total', help: '' }),
          f: counter({ name: 'sent_total', help: 'Sent', labels: ['user_id', 'email', 'le'] }),
          g: gauge({ name: 'CamelCase', help: 'x' }),
          h: gauge({ name: 'backlog_count', help: 'x' }),
        },
        createMetricsRegistry(),
      ),
    );
    expect(problems).to.deep.equal([
      "tickwatch_notifier_emails_sent: a counter's name ends with _total",
      'tickwatch_notifier_queue_total: only counters end with _total',
      'tickwatch_notifier_send_latency_ms: "ms" is not a base unit (use seconds, bytes or ratio)',
      "tickwatch_notifier_send_latency_ms: a histogram's name ends with its unit (seconds, bytes, ratio, messages, events, documents)",
      "tickwatch_notifier_send_time: a histogram's name ends with its unit (seconds, bytes, ratio, messages, events, documents)",
      'tickwatch_notifier_tickwatch_sent_total: leave out the tickwatch_ prefix, it is added',
      'tickwatch_notifier_tickwatch_sent_total: help must be one non-empty line',
      'tickwatch_notifier_sent_total: label "user_id" is unbounded; put such values in spans and logs',
      'tickwatch_notifier_sent_total: label "email" is unbounded; put such values in spans and logs',
      'tickwatch_notifier_sent_total: label "le" is reserved by Prometheus',
      'tickwatch_notifier_CamelCase: name "CamelCase" must be snake_case',
      'tickwatch_notifier_backlog_count: _count is added by the exposition format',
    ]);
  });

  it('refuses a name declared twice, and declares nothing of a refused set', async () => {
    const target = createMetricsRegistry();
    defineMetrics('gateway', { a: counter({ name: 'requests_total', help: 'Requests' }) }, target);
    expect(
      declarationError(() =>
        defineMetrics(
          'gateway',
          {
            fine: gauge({ name: 'sessions', help: 'Open sessions' }),
            again: counter({ name: 'requests_total', help: 'Requests' }),
          },
          target,
        ),
      ),
    ).to.deep.equal(['tickwatch_gateway_requests_total: already declared']);
    expect(target.catalogue().map((metric) => metric.name)).to.deep.equal([
      'tickwatch_gateway_requests_total',
    ]);
    expect(await target.registry.metrics()).not.to.include('sessions');
  });

  it('sets gauges kept elsewhere at scrape time', async () => {
    const target = createMetricsRegistry();
    let pending = 3;
    defineMetrics(
      'outbox',
      {
        pending: gauge({
          name: 'pending_events',
          help: 'Events waiting in the outbox',
          collect: (metric) => {
            metric.set({}, pending);
          },
        }),
      },
      target,
    );
    expect(await target.registry.metrics()).to.include('tickwatch_outbox_pending_events 3');
    pending = 0;
    expect(await target.registry.metrics()).to.include('tickwatch_outbox_pending_events 0');
  });

  it('keeps answering when one gauge source fails: that gauge keeps its last value', async () => {
    const target = createMetricsRegistry();
    let source: () => Promise<number> = () => Promise.resolve(7);
    defineMetrics(
      'gateway',
      {
        users: gauge({
          name: 'users',
          help: 'Accounts',
          collect: async (metric) => {
            metric.set({}, await source());
          },
        }),
        up: gauge({
          name: 'up_ratio',
          help: 'Always scraped',
          collect: (m) => {
            m.set({}, 1);
          },
        }),
      },
      target,
    );
    expect(await target.registry.metrics()).to.include('tickwatch_gateway_users 7');
    source = () => Promise.reject(new Error('Client must be connected before running operations'));
    const text = await target.registry.metrics();
    expect(text).to.include('tickwatch_gateway_users 7');
    expect(text).to.include('tickwatch_gateway_up_ratio 1');
  });

  describe('exemplars', () => {
    const tracing = startInMemoryTracingPerTest();

    it('carry the trace and span id of an observation made inside a sampled span', async () => {
      const target = createMetricsRegistry();
      const metrics = defineMetrics(
        'collector',
        {
          fetch: histogram({
            name: 'fetch_duration_seconds',
            help: 'Quote fetch time',
            labels: ['source'],
            buckets: [0.1, 1],
          }),
        },
        target,
      );
      metrics.fetch.observe({ source: 'yahoo' }, 0.5);
      withSpan(getTracer('test'), 'fetch quotes', () => {
        metrics.fetch.observe({ source: 'yahoo' }, 0.05);
      });
      const [span] = tracing().spans();
      const { traceId, spanId } = span!.spanContext();
      const text = await target.registry.metrics();
      const exemplar = ` # {trace_id="${traceId}",span_id="${spanId}"} 0.05 `;
      expect(text).to.include(
        `tickwatch_collector_fetch_duration_seconds_bucket{le="0.1",source="yahoo"} 1${exemplar}`,
      );
      // The observation outside any span has no exemplar.
      expect(text).to.match(
        /tickwatch_collector_fetch_duration_seconds_bucket\{le="1",source="yahoo"\} 2\n/,
      );
    });

    it('startTimer observes the seconds elapsed', async () => {
      const target = createMetricsRegistry();
      const metrics = defineMetrics(
        'notifier',
        {
          send: histogram({
            name: 'send_duration_seconds',
            help: 'Email send time',
            labels: ['outcome'],
          }),
        },
        target,
      );
      const end = metrics.send.startTimer({ outcome: 'sent' });
      const seconds = end();
      expect(seconds).to.be.within(0, 1);
      expect(await target.registry.metrics()).to.include(
        'tickwatch_notifier_send_duration_seconds_count{outcome="sent"} 1',
      );
    });
  });
});

/** In-memory tracing for each test of the enclosing describe. */
function startInMemoryTracingPerTest() {
  let tracing: ReturnType<typeof startInMemoryTracing> | undefined;
  beforeEach(() => {
    tracing = startInMemoryTracing();
  });
  afterEach(async () => {
    await tracing?.stop();
  });
  return () => tracing!;
}
