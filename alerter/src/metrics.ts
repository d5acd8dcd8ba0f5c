/**
 * The alerter's metrics (`tickwatch_alerter_*`, on /metrics). The original alert system's
 * `as_messages_consumed_count`, `as_messages_processing_time` and `as_messages_produced_count`
 * are `ticks_consumed_total`, `evaluation_duration_seconds` / `batch_duration_seconds` and
 * `alerts_published_total`.
 */
import { PARTITIONS } from '@tickwatch/contracts';
import { counter, defineMetrics, gauge, histogram } from '@tickwatch/infra/telemetry';
import type { BatchReport } from './partition-processor.ts';

/** Partitions held in memory by each running alerter, and their indexed rules. */
const holders = new Set<() => ReadonlyMap<number, number>>();

const heldPartitions = (): Map<number, number> => {
  const held = new Map<number, number>();
  for (const holder of holders) {
    for (const [partition, rules] of holder()) held.set(partition, rules);
  }
  return held;
};

const metrics = defineMetrics('alerter', {
  ticksConsumed: counter({
    name: 'ticks_consumed_total',
    help: 'Price ticks consumed: evaluated, or stale (not newer than the ticker’s last quote)',
    labels: ['outcome'],
    initial: [{ outcome: 'evaluated' }, { outcome: 'stale' }],
  }),
  ruleEvents: counter({
    name: 'rule_events_total',
    help: 'rule.created/updated/deleted events consumed',
  }),
  evaluationDuration: histogram({
    name: 'evaluation_duration_seconds',
    help: 'Evaluation of one delivery batch in memory (index lookups, trigger states), without I/O',
    buckets: [0.000_01, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1],
  }),
  batchDuration: histogram({
    name: 'batch_duration_seconds',
    help: 'One delivery batch from delivery to written: load if needed, evaluate, publish averages, bulkWrite',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
  }),
  batchMessages: histogram({
    name: 'batch_messages',
    help: 'Messages in one delivery batch (at most ALERTER_BATCH_SIZE): they grow with the backlog',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
  }),
  rulesExamined: counter({
    name: 'rules_examined_total',
    help: 'Rules the index handed to the state machine (crossed or due); stays small as rules grow',
  }),
  alertsTriggered: counter({
    name: 'alerts_triggered_total',
    help: 'Alerts written with their trigger state (outbox entries)',
  }),
  alertsPublished: counter({
    name: 'alerts_published_total',
    help: 'alert.triggered events the outbox relay published (confirmed by the broker)',
  }),
  rulesIndexed: gauge({
    name: 'rules_indexed',
    help: 'Rules in the index per partition this process holds (0: not held)',
    labels: ['partition'],
    collect: (metric) => {
      const held = heldPartitions();
      for (let partition = 0; partition < PARTITIONS; partition++) {
        metric.set({ partition }, held.get(partition) ?? 0);
      }
    },
  }),
  ownedPartitions: gauge({
    name: 'owned_partitions',
    help: 'Partitions whose state this process holds: it consumed them since its last reconnect',
    collect: (metric) => {
      metric.set({}, heldPartitions().size);
    },
  }),
});

export const alerterMetrics = {
  /** Counts a running alerter's partitions in the gauges until the returned function is called. */
  hold(partitions: () => ReadonlyMap<number, number>): () => void {
    holders.add(partitions);
    return () => holders.delete(partitions);
  },
  batch(report: BatchReport, seconds: number): void {
    metrics.ticksConsumed.inc({ outcome: 'evaluated' }, report.quotes - report.staleQuotes);
    metrics.ticksConsumed.inc({ outcome: 'stale' }, report.staleQuotes);
    metrics.ruleEvents.inc({}, report.ruleEvents);
    metrics.rulesExamined.inc({}, report.rulesExamined);
    metrics.alertsTriggered.inc({}, report.alerts);
    metrics.evaluationDuration.observe({}, report.evaluationSeconds);
    metrics.batchDuration.observe({}, seconds);
    metrics.batchMessages.observe({}, report.quotes + report.ruleEvents);
  },
  alertPublished(): void {
    metrics.alertsPublished.inc({});
  },
};
