/**
 * The notifier's metrics (README "Notifier" → Metrics). Labels are bounded: channel (EMAIL,
 * WEBHOOK), kind (ALERT, TEST, DIGEST), outcome (deliver.ts) and failure codes (FailureCode).
 * The two end-to-end figures carry names of their own, not the notifier's:
 * `tickwatch_alert_latency_seconds` (from the collector publishing the quote to the alert
 * accepted by the SMTP server or webhook; not from market time, which includes the source's
 * delay) and `tickwatch_quote_delay_seconds` (that delay: market time to publication).
 */
import { counter, defineMetrics, histogram } from '@tickwatch/infra/telemetry';
import type { DeliveryObserver } from './deliveries/delivery-observer.ts';

const channels = ['EMAIL', 'WEBHOOK'] as const;

export const notifierMetrics = defineMetrics('notifier', {
  deliveries: counter({
    name: 'deliveries_total',
    help: 'Delivery attempts by channel, kind (ALERT, TEST, DIGEST) and outcome (sent, failed, capped, duplicate, dropped, retry)',
    labels: ['channel', 'kind', 'outcome'],
    initial: channels.flatMap((channel) =>
      ['sent', 'failed', 'retry'].map((outcome) => ({ channel, kind: 'ALERT', outcome })),
    ),
  }),
  deliveryDuration: histogram({
    name: 'delivery_duration_seconds',
    help: 'Time of one delivery attempt, from the claim to the recorded outcome, by channel and outcome',
    labels: ['channel', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  }),
  unrecorded: histogram({
    name: 'unrecorded_send_seconds',
    help: 'From the server accepting a message to its SENT state written: the window in which a crash would send it again',
    labels: ['channel'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
  }),
  retries: counter({
    name: 'delivery_retries_total',
    help: 'Delivery attempts that failed transiently and come back through a retry tier, by channel and failure code',
    labels: ['channel', 'code'],
  }),
  failures: counter({
    name: 'delivery_failures_total',
    help: 'Deliveries failed for good (permanent failure or retries exhausted), by channel and failure code',
    labels: ['channel', 'code'],
  }),
  capped: counter({
    name: 'capped_alerts_total',
    help: 'Alerts held back by the per-user hourly cap or quiet hours, to be sent in a digest',
    labels: ['channel'],
    initial: channels.map((channel) => ({ channel })),
  }),
  digested: counter({
    name: 'digested_alerts_total',
    help: 'Capped alerts sent in a digest',
    labels: ['channel'],
    initial: channels.map((channel) => ({ channel })),
  }),
});

const alertMetrics = defineMetrics('alert', {
  latency: histogram({
    name: 'latency_seconds',
    help: 'From the collector publishing the quote to the alert accepted by the SMTP server or webhook, by channel',
    labels: ['channel'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
  }),
});

const quoteMetrics = defineMetrics('quote', {
  delay: histogram({
    name: 'delay_seconds',
    help: "How late the source published the quote behind a delivered alert (market time to the collector's publication)",
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600],
  }),
});

export const metricsObserver: DeliveryObserver = {
  attempted(channel, kind, outcome, seconds, failureCode) {
    notifierMetrics.deliveries.inc({ channel, kind, outcome });
    notifierMetrics.deliveryDuration.observe({ channel, outcome }, seconds);
    if (outcome === 'retry')
      notifierMetrics.retries.inc({ channel, code: failureCode ?? 'UNKNOWN' });
    if (outcome === 'failed')
      notifierMetrics.failures.inc({ channel, code: failureCode ?? 'UNKNOWN' });
  },
  accepted(channel, alert, accepted) {
    const published = Date.parse(alert.quotePublishedAt);
    alertMetrics.latency.observe({ channel }, Math.max(0, (accepted - published) / 1000));
    quoteMetrics.delay.observe({}, Math.max(0, (published - Date.parse(alert.marketTime)) / 1000));
  },
  recorded: (channel, seconds) => {
    notifierMetrics.unrecorded.observe({ channel }, seconds);
  },
  capped: (channel) => {
    notifierMetrics.capped.inc({ channel });
  },
  digested: (channel, alerts) => {
    notifierMetrics.digested.inc({ channel }, alerts);
  },
};
