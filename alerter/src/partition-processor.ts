/**
 * What the alerter does with a delivery batch of one partition: the I/O around the pure
 * partition book.
 *
 * 1. The partition's rules and state are loaded on its first batch (start-up, or a takeover
 *    from a replica that died), and again after anything went wrong.
 * 2. Rule events and quotes are applied in queue order: alerts and averages come out.
 * 3. The newest average of each (ticker, window) the batch moved is published, all in one
 *    averages.updated event (several past 500; confirmed; a repeat after a crash changes
 *    nothing downstream), however many of a ticker's quotes the batch held.
 * 4. Trigger states, last quotes and the alerts (outbox entries) are written: one bulkWrite.
 * 5. The caller acknowledges the batch; the outbox relay publishes the alerts.
 *
 * Any failure drops the partition's memory (it may be ahead of the database) and rethrows, so
 * the in-place retry starts again from what was written.
 */
import { EventType, type Event, type TickwatchEvent } from '@tickwatch/contracts';
import type { Logger } from '@tickwatch/infra/log';
import { getTracer, withSpan } from '@tickwatch/infra/telemetry';
import type { RuleChange } from './domain/partition-book.ts';
import { NewestAverages } from './domain/newest-averages.ts';
import { alertTriggered } from './domain/outgoing-events.ts';
import type { TickerBook } from './domain/ticker-book.ts';
import type { AlerterModels } from './store/models.ts';
import { loadPartition, writeBatch, type LoadedPartition } from './store/partition-store.ts';

type AlertEvent = Event<typeof EventType.alertTriggered>;

/** What one batch did, for logs, spans and metrics. */
export interface BatchReport {
  readonly partition: number;
  readonly quotes: number;
  /** Quotes not newer than the last one of their ticker (repeats, late copies). */
  readonly staleQuotes: number;
  readonly ruleEvents: number;
  readonly rulesExamined: number;
  readonly alerts: number;
  /** Averages published (in averages.updated): the newest per (ticker, window) of the batch. */
  readonly averages: number;
  /** Time spent evaluating in memory (no I/O). */
  readonly evaluationSeconds: number;
}

export interface PartitionProcessorOptions {
  readonly models: AlerterModels;
  readonly logger: Logger;
  /** Publishes derived events with confirms (averages.updated). */
  readonly publish: (events: readonly TickwatchEvent[]) => Promise<void>;
  /** Called after a batch's write with the tickers that got new alerts (outbox flush). */
  readonly alertsWritten: (tickers: readonly string[]) => void;
  /** Wall clock, ms (expiry; tests set it). */
  readonly now?: () => number;
  /** Test seams: run just before and just after the batch's write (crash tests stop there). */
  readonly hooks?: BatchHooks;
}

export interface BatchHooks {
  readonly beforeWrite?: (events: readonly TickwatchEvent[]) => Promise<void>;
  readonly afterWrite?: (events: readonly TickwatchEvent[]) => Promise<void>;
}

export interface PartitionProcessor {
  process(partition: number, events: readonly TickwatchEvent[]): Promise<BatchReport>;
  /** Drops every partition's memory: after a reconnect, another replica may own them now. */
  forgetAll(): void;
  /** Partitions held in memory, and the rules indexed in each. */
  loaded(): ReadonlyMap<number, number>;
}

const RULE_CHANGES: Partial<Record<string, RuleChange>> = {
  [EventType.ruleCreated]: 'created',
  [EventType.ruleUpdated]: 'updated',
  [EventType.ruleDeleted]: 'deleted',
};

export function createPartitionProcessor(options: PartitionProcessorOptions): PartitionProcessor {
  const { models, publish, alertsWritten } = options;
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ component: 'partitions' });
  const partitions = new Map<number, Promise<LoadedPartition>>();
  /** The loads that completed, for `loaded()`. */
  const ready = new Map<number, LoadedPartition>();

  const load = (partition: number): Promise<LoadedPartition> => {
    let loading = partitions.get(partition);
    if (!loading) {
      const started = performance.now();
      loading = loadPartition(models, partition, now()).then((loaded) => {
        logger.info(
          {
            partition,
            rules: loaded.book.rulesIndexed,
            tickers: loaded.revs.size,
            ms: Math.round(performance.now() - started),
          },
          'partition loaded',
        );
        ready.set(partition, loaded);
        return loaded;
      });
      partitions.set(partition, loading);
      loading.catch(() => {
        partitions.delete(partition);
      });
    }
    return loading;
  };

  const tracer = getTracer('alerter');
  const process = (partition: number, events: readonly TickwatchEvent[]): Promise<BatchReport> =>
    withSpan(
      tracer,
      'evaluate partition batch',
      { attributes: { 'tickwatch.partition': partition, 'tickwatch.batch.size': events.length } },
      async (span) => {
        const report = await processBatch(partition, events);
        span.setAttributes({
          'tickwatch.rules.examined': report.rulesExamined,
          'tickwatch.alerts.fired': report.alerts,
          'tickwatch.ticks.stale': report.staleQuotes,
        });
        return report;
      },
    );

  const processBatch = async (
    partition: number,
    events: readonly TickwatchEvent[],
  ): Promise<BatchReport> => {
    const loaded = await load(partition);
    const { book } = loaded;
    const clock = now();
    const alerts = new Map<string, AlertEvent[]>();
    const newestAverages = new NewestAverages();
    let averages: number;
    let quotes = 0;
    let staleQuotes = 0;
    let ruleEvents = 0;
    let rulesExamined = 0;
    let alertCount = 0;
    let evaluationSeconds: number;
    try {
      const evaluationStarted = performance.now();
      for (const event of events) {
        if (event.type === EventType.priceUpdated) {
          quotes += 1;
          const { data } = event;
          const outcome = book.applyTick(
            data.ticker,
            {
              price: data.price,
              marketTime: Date.parse(data.marketTime),
              previousClose: data.previousClose,
              timeZone: data.exchangeTimeZone,
            },
            clock,
          );
          if (!outcome.applied) {
            staleQuotes += 1;
            continue;
          }
          rulesExamined += outcome.examined;
          newestAverages.add(data.ticker, outcome.averages, data.marketTime);
          if (outcome.firings.length === 0) continue;
          const list = alerts.get(data.ticker) ?? [];
          for (const firing of outcome.firings) {
            list.push(alertTriggered(firing, event, outcome.previousPrice, new Date(clock)));
          }
          alertCount += outcome.firings.length;
          alerts.set(data.ticker, list);
          continue;
        }
        const change = RULE_CHANGES[event.type];
        if (!change) throw new Error(`the alerter does not handle ${event.type}`);
        ruleEvents += 1;
        book.applyRule(change, (event as Event<typeof EventType.ruleUpdated>).data.rule, clock);
      }
      const averageEvents = newestAverages.events();
      averages = averageEvents.reduce((sum, event) => sum + event.data.averages.length, 0);
      evaluationSeconds = (performance.now() - evaluationStarted) / 1000;
      if (averageEvents.length > 0) await publish(averageEvents);
      const tickers: TickerBook[] = book.takeChangedTickers();
      await options.hooks?.beforeWrite?.(events);
      await writeBatch(models, loaded, { tickers, alerts, rules: book.takeRuleWrites() });
      await options.hooks?.afterWrite?.(events);
    } catch (error) {
      // The memory may be ahead of the database now: start again from what was written.
      partitions.delete(partition);
      ready.delete(partition);
      throw error;
    }
    if (alerts.size > 0) alertsWritten([...alerts.keys()]);
    return {
      partition,
      quotes,
      staleQuotes,
      ruleEvents,
      rulesExamined,
      alerts: alertCount,
      averages,
      evaluationSeconds,
    };
  };

  return {
    process,
    forgetAll() {
      partitions.clear();
      ready.clear();
    },
    loaded() {
      return new Map(
        [...ready].map(([partition, loaded]) => [partition, loaded.book.rulesIndexed]),
      );
    },
  };
}
