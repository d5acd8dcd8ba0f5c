/**
 * What an operator opens, checked on the running system: `npm start` (the four services as
 * processes, the same entry points compose runs) exporting spans to this test's own OTLP/HTTP
 * receiver, and a real Prometheus scraping them.
 *
 * - One trace from quote to email: a rule through GraphQL, a crossing simulated quote, and the
 *   expected edges below (child span ← parent span, each with its service), like the
 *   OpenTelemetry demo's trace checks. The mutation's trace continues through the gateway's
 *   outbox into the rule event's consumers.
 * - tickwatch_alert_latency_seconds carries that trace's id as its exemplar in Prometheus.
 * - Every metric the dashboards query is exported by the running services (or documented by
 *   RabbitMQ's Prometheus plugin: grafana/rabbitmq-metrics.txt).
 */
import { expect } from 'chai';
import { createTestVhost, type TestVhost } from '@tickwatch/infra/messaging/testing';
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '@tickwatch/infra/telemetry/testing';
import { pollUntil } from '@tickwatch/infra/testing';
import { graphqlClient, type GraphQLClient } from '../../scripts/demo/graphql.ts';
import { CREATE_RULE, REGISTER } from '../../scripts/demo/operations.ts';
import { firstQuote, npmStart, type LogRecord, type NpmStart } from '../e2e/npm-start.ts';
import { dashboardMetricNames, PROMETHEUS_OWN_METRICS, rabbitmqMetrics } from './dashboards.ts';
import { startPrometheus, type TestPrometheus } from './prometheus.ts';

type Name = string | RegExp;
interface Edge {
  readonly service: string;
  readonly span: Name;
  readonly parent: readonly [service: string, span: Name];
}

/** From the email back to the fetch: each span, and the span it must be a child of. */
const QUOTE_TO_EMAIL: readonly Edge[] = [
  {
    service: 'notifier',
    span: 'notifier deliver',
    parent: ['notifier', 'process notifier.deliveries'],
  },
  {
    service: 'notifier',
    span: 'process notifier.deliveries',
    parent: ['alerter', 'publish tickwatch.alert.triggered.v1'],
  },
  {
    service: 'alerter',
    span: 'publish tickwatch.alert.triggered.v1',
    parent: ['alerter', 'evaluate partition batch'],
  },
  {
    service: 'alerter',
    span: 'evaluate partition batch',
    parent: ['alerter', /^process alerter\.p\d+$/],
  },
  {
    service: 'alerter',
    span: /^process alerter\.p\d+$/,
    parent: ['collector', 'publish tickwatch.price.updated.v1'],
  },
  {
    service: 'collector',
    span: 'publish tickwatch.price.updated.v1',
    parent: ['collector', 'fetch quotes'],
  },
];

const SPAN_KIND = { producer: 4, consumer: 5 } as const;

const matches = (name: Name, value: string) =>
  typeof name === 'string' ? name === value : name.test(value);
const serviceOf = (span: ReceivedSpan) => span.resource['service.name'];
const describeSpan = (span: ReceivedSpan | undefined) =>
  span ? `${String(serviceOf(span))}: ${span.name}` : '(none)';

describe('observability of the running system (npm start, OTLP receiver, Prometheus)', function () {
  this.timeout(240_000);
  let vhost: TestVhost;
  let receiver: OtlpReceiver;
  let run: NpmStart | undefined;
  let ready: LogRecord;
  let prometheus: TestPrometheus | undefined;
  let user: GraphQLClient;
  let emailTrace: string;

  const services = () => ready.services as { name: string; ops: string }[];
  const spans = () => receiver.spans();
  const spanById = () => new Map(spans().map((span) => [span.spanId, span]));

  before(async () => {
    vhost = await createTestVhost('observability');
    receiver = await startOtlpReceiver();
    run = npmStart({
      RABBITMQ_URL: vhost.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      // Export within half a second instead of five: the test waits for the spans.
      OTEL_BSP_SCHEDULE_DELAY: '500',
      // The trace is the point here, not the address: alerts go out without verifying it.
      REQUIRE_EMAIL_VERIFICATION: 'false',
    });
    ready = await run.waitFor(
      '"tickwatch is ready"',
      (r) => r.msg === 'tickwatch is ready',
      120_000,
    );
    prometheus = await startPrometheus(
      Object.fromEntries(services().map(({ name, ops }) => [name, new URL(ops).host])),
    );
    const gateway = graphqlClient(ready.graphql as string);
    const { register } = await gateway.request<{ register: { accessToken: string } }>(REGISTER, {
      email: 'trace@example.com',
      password: 'trace-correct-horse-42',
    });
    user = gateway.withToken(register.accessToken);
  });
  after(async () => {
    await prometheus?.stop();
    await run?.stop('SIGTERM');
    await receiver.close();
    await vhost.delete();
  });

  it('follows one trace from the quote to the email, across the four services', async () => {
    const quote = await firstQuote(user, 'AAPL');
    // Already crossed: the ticker's next quote fires it.
    await user.request(CREATE_RULE, {
      input: { ticker: 'AAPL', condition: { above: { threshold: Math.floor(quote.price * 0.9) } } },
    });
    const delivered = await pollUntil(
      'the span of the email sent',
      () =>
        spans().find(
          (span) =>
            span.name === 'notifier deliver' &&
            span.attributes['tickwatch.delivery.channel'] === 'EMAIL' &&
            span.attributes['tickwatch.delivery.kind'] === 'ALERT' &&
            span.attributes['tickwatch.delivery.outcome'] === 'sent',
        ),
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    emailTrace = delivered.traceId;
    // The other services export on their own schedule: wait until the whole chain is in.
    const chain = await pollUntil(
      'every span of the chain',
      () => {
        const byId = spanById();
        const found: ReceivedSpan[] = [delivered];
        while (found.length <= QUOTE_TO_EMAIL.length) {
          const parent = byId.get(found.at(-1)!.parentSpanId);
          if (!parent) return undefined;
          found.push(parent);
        }
        return found;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    ).catch((error: unknown) => {
      const trace = spans().filter((span) => span.traceId === emailTrace);
      throw new Error(
        `${String(error)}\nspans of the trace:\n  ${trace.map(describeSpan).join('\n  ')}`,
      );
    });
    QUOTE_TO_EMAIL.forEach((edge, index) => {
      const [span, parent] = [chain[index]!, chain[index + 1]!];
      const what = `edge ${String(index)}: ${describeSpan(span)} ← ${describeSpan(parent)}`;
      expect(serviceOf(span), what).to.equal(edge.service);
      expect(matches(edge.span, span.name), what).to.be.true;
      expect(serviceOf(parent), what).to.equal(edge.parent[0]);
      expect(matches(edge.parent[1], parent.name), what).to.be.true;
      expect(span.traceId, what).to.equal(emailTrace);
    });
    const kinds = chain.map((span) => span.kind);
    expect(kinds[1], 'notifier consumes').to.equal(SPAN_KIND.consumer);
    expect(kinds[2], 'alerter publishes').to.equal(SPAN_KIND.producer);
    expect(kinds[4], 'alerter consumes').to.equal(SPAN_KIND.consumer);
    expect(kinds[5], 'collector publishes').to.equal(SPAN_KIND.producer);
    // The alert fans out: the gateway's read model consumed the same publish.
    const alertPublish = chain[2]!;
    await pollUntil('the gateway consuming the alert', () =>
      spans().find(
        (span) =>
          serviceOf(span) === 'gateway' &&
          span.name === 'process gateway.read-models' &&
          span.parentSpanId === alertPublish.spanId,
      ),
    );
  });

  it("continues the mutation's trace through the outbox into the rule event's consumers", async () => {
    const byId = spanById();
    const rulePublish = await pollUntil('the rule event published', () =>
      spans().find(
        (span) =>
          serviceOf(span) === 'gateway' && span.name === 'publish tickwatch.rule.created.v1',
      ),
    );
    // Up from the relay's publish: the GraphQL request that wrote the rule and its event.
    const ancestors: ReceivedSpan[] = [];
    for (let at = byId.get(rulePublish.parentSpanId); at; at = byId.get(at.parentSpanId)) {
      ancestors.push(at);
    }
    // The operation's span, under the HTTP request's (the trace's root, a SERVER span).
    const SERVER = 2;
    expect(ancestors.map((span) => span.name)).to.include('mutation CreateRule');
    expect(ancestors.at(-1)?.name).to.equal('POST /graphql');
    expect(ancestors.at(-1)?.kind).to.equal(SERVER);
    expect(ancestors.every((span) => serviceOf(span) === 'gateway')).to.be.true;
    const collectorProcess = await pollUntil('the collector consuming the rule event', () =>
      spans().find(
        (span) =>
          serviceOf(span) === 'collector' &&
          span.name === 'process collector.watchlist' &&
          span.parentSpanId === rulePublish.spanId,
      ),
    );
    expect(collectorProcess.traceId).to.equal(rulePublish.traceId);
    // The alerter takes it in an ordered batch: the batch's span continues it or links it.
    const link = `${rulePublish.traceId}/${rulePublish.spanId}`;
    await pollUntil('the alerter consuming the rule event', () =>
      spans().find(
        (span) =>
          serviceOf(span) === 'alerter' &&
          /^process alerter\.p\d+$/.test(span.name) &&
          (span.parentSpanId === rulePublish.spanId || span.links.includes(link)),
      ),
    );
  });

  it('keeps the trace id as the exemplar of tickwatch_alert_latency_seconds', async () => {
    const now = Date.now() / 1000;
    const exemplars = await pollUntil(
      'the exemplar in Prometheus',
      async () => {
        const data = (await prometheus!.api('query_exemplars', {
          query: 'tickwatch_alert_latency_seconds_bucket',
          start: String(now - 600),
          end: String(now + 600),
        })) as { exemplars: { labels: Record<string, string> }[] }[];
        const found = data.flatMap((series) => series.exemplars);
        return found.some((exemplar) => exemplar.labels.trace_id === emailTrace) && found;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(exemplars.map((exemplar) => exemplar.labels.trace_id)).to.include(emailTrace);
  });

  it('exports every metric the Grafana dashboards query', async () => {
    const exported = new Set<string>(PROMETHEUS_OWN_METRICS);
    for (const { ops } of services()) {
      const text = await (await fetch(`${ops}/metrics`)).text();
      // Families, also those without a sample yet (a labelled counter before its first event).
      for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        const samples = type === 'histogram' ? ['_bucket', '_sum', '_count'] : [''];
        for (const suffix of samples) exported.add(`${name!}${suffix}`);
      }
    }
    const documented = rabbitmqMetrics();
    const missing = [...dashboardMetricNames()].filter(
      (name) => !exported.has(name) && !documented.has(name),
    );
    expect(missing).to.deep.equal([]);
  });
});
