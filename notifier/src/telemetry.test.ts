/**
 * A delivery is a span in the alert's trace (channel, kind, attempt, outcome), the
 * notification.* event it causes continues that trace (its publish span is the delivery's child), and the alert latency histogram carries
 * the trace as its exemplar.
 */
import { processMetrics } from '@tickwatch/infra/telemetry';
import { startInMemoryTracing, type InMemoryTracing } from '@tickwatch/infra/telemetry/testing';
import { describeOnMongoTargets } from '@tickwatch/infra/messaging/testing';
import { pollUntil } from '@tickwatch/infra/testing';
import { expect } from 'chai';
import { useNotifierHarness } from './testing/harness.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PRODUCER_SPAN = '00f067aa0ba902b7';

describeOnMongoTargets('notifier: traces and metrics', (target) => {
  let tracing: InMemoryTracing;
  before(() => {
    tracing = startInMemoryTracing();
  });
  after(() => tracing.stop());
  const h = useNotifierHarness(target);

  it('delivers in a span of the alert’s trace, and its notification.sent continues it', async () => {
    const userId = await h.addUser();
    const alert = h.alertFor(userId, {
      quotePublishedAt: new Date(Date.now() - 1_500).toISOString(),
      marketTime: new Date(Date.now() - 61_500).toISOString(),
    });
    await h.publish(alert, { traceparent: `00-${TRACE_ID}-${PRODUCER_SPAN}-01` });
    const sent = await pollUntil('notification.sent', () => h.sentFor(alert.data.alertId)[0]);
    const span = await pollUntil('the delivery span', () =>
      tracing
        .spans()
        .find(
          (s) =>
            s.name === 'notifier deliver' &&
            s.attributes['tickwatch.alert.id'] === alert.data.alertId,
        ),
    );
    expect(span.spanContext().traceId).to.equal(TRACE_ID);
    expect(span.attributes).to.deep.include({
      'tickwatch.delivery.channel': 'EMAIL',
      'tickwatch.delivery.kind': 'ALERT',
      'tickwatch.delivery.attempt': 1,
      'tickwatch.delivery.outcome': 'sent',
    });
    // notification.sent carries its publish span's context, a child of the delivery span.
    const traceparent = await pollUntil('its traceparent', () => h.traceparentOf(sent.id));
    const [, traceId, publishSpanId] = traceparent.split('-');
    expect(traceId).to.equal(TRACE_ID);
    const publish = await pollUntil('the publish span', () =>
      tracing.spans().find((s) => s.spanContext().spanId === publishSpanId),
    );
    expect(publish.name).to.equal('publish tickwatch.notification.sent.v1');
    expect(publish.parentSpanContext?.spanId).to.equal(span.spanContext().spanId);

    const exposition = await processMetrics.registry.metrics();
    const latency = exposition
      .split('\n')
      .filter((line) => line.startsWith('tickwatch_alert_latency_seconds_bucket{'));
    expect(latency.some((line) => line.includes(`trace_id="${TRACE_ID}"`))).to.be.true;
    expect(exposition).to.match(/^tickwatch_quote_delay_seconds_count [1-9]/m);
    expect(exposition).to.match(
      /^tickwatch_notifier_deliveries_total\{channel="EMAIL",kind="ALERT",outcome="sent"\} [1-9]/m,
    );
    expect(exposition).to.match(
      /^tickwatch_notifier_unrecorded_send_seconds_count\{channel="EMAIL"\} [1-9]/m,
    );
  });
});
