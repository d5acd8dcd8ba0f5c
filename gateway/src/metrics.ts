/**
 * The gateway's metrics (README "Gateway" lists them; the original system's `s_*` names in
 * brackets): GraphQL requests by operation and outcome [s_request_counter, s_errors_counter]
 * and their duration [s_request_latency_seconds], logins by outcome, rate-limited requests,
 * users [s_user_counter], and the outbox relay's lag. `operation` is the root field
 * (`query.quote`, `mutation.createAlertRule`): bounded by the schema, unlike operation names,
 * which clients choose.
 */
import { counter, defineMetrics, gauge, histogram } from '@tickwatch/infra/telemetry';

/** Where the scrape-time gauges read from: set by the running gateway. */
export const gaugeSources: {
  users?: () => Promise<number>;
  outboxLagSeconds?: () => Promise<number>;
} = {};

export const metrics = defineMetrics('gateway', {
  requests: counter({
    name: 'graphql_requests_total',
    help: 'GraphQL operations by root field and outcome (ok, error: the error code)',
    labels: ['operation', 'outcome'],
  }),
  duration: histogram({
    name: 'graphql_request_duration_seconds',
    help: 'Time from receiving a GraphQL operation to its response, by root field',
    labels: ['operation'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  }),
  logins: counter({
    name: 'logins_total',
    help: 'Login attempts by outcome (success, failure, rate_limited)',
    labels: ['outcome'],
    initial: [{ outcome: 'success' }, { outcome: 'failure' }, { outcome: 'rate_limited' }],
  }),
  rateLimited: counter({
    name: 'rate_limited_requests_total',
    help: 'Operations refused with RATE_LIMITED, by root field',
    labels: ['operation'],
  }),
  users: gauge({
    name: 'users',
    help: 'Accounts in the gateway database (tombstones excluded)',
    collect: async (g) => {
      if (gaugeSources.users) g.set({}, await gaugeSources.users());
    },
  }),
  outboxLag: gauge({
    name: 'outbox_lag_seconds',
    help: 'Age of the oldest event waiting in the user documents’ outbox (0 when none)',
    collect: async (g) => {
      if (gaugeSources.outboxLagSeconds) g.set({}, await gaugeSources.outboxLagSeconds());
    },
  }),
  liveConnections: gauge({
    name: 'live_connections',
    help: 'Open graphql-ws connections (subscriptions over WebSocket) of this process',
  }),
  liveSubscriptions: gauge({
    name: 'live_subscriptions',
    help: 'Active subscriptions of this process by field',
    labels: ['field'],
  }),
  liveFannedOut: counter({
    name: 'live_events_fanned_out_total',
    help: 'Broker events of the live queue fanned out to subscribers, by event type',
    labels: ['type'],
  }),
  liveExecutions: counter({
    name: 'live_executions_total',
    help: 'Subscription documents run on fanned-out events: one per event and distinct document + variables',
  }),
  liveMessages: counter({
    name: 'live_messages_total',
    help: 'Subscription updates: queued, coalesced (replaced an unsent one), dropped (unsent at close)',
    labels: ['outcome'],
    initial: [{ outcome: 'queued' }, { outcome: 'coalesced' }, { outcome: 'dropped' }],
  }),
  liveCloses: counter({
    name: 'live_connection_closes_total',
    help: 'graphql-ws connections the gateway closed, by reason (slow_client, token_expired, limit, shutdown)',
    labels: ['reason'],
  }),
  liveFanOutDuration: histogram({
    name: 'live_fanout_duration_seconds',
    help: 'Time to queue one broker event for all of its subscribers',
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05],
  }),
});
