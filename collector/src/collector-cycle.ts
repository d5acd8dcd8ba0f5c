/**
 * One polling cycle: the tickers to collect (DEFAULT_TICKERS plus every ticker a live rule,
 * watch or lease names, minus those the source recently rejected), fetched in batches through
 * the circuit breaker, judged by hygiene, published with confirms, recorded (in memory; the
 * poller checkpoints it) after the confirms.
 *
 * Batches are fetched one after the other (the source paces them); each batch's publishing and
 * recording overlaps the next fetches, up to a bounded number of batches in flight.
 */
import type { Messaging } from '@tickwatch/infra/messaging';
import type { Logger } from '@tickwatch/infra/log';
import { getTracer, markFailed, withSpan } from '@tickwatch/infra/telemetry';
import type { BatchBreaker } from './breaker.ts';
import type { CollectorMetrics } from './metric-hooks.ts';
import { priceUpdatedEvent, tickerRejectedEvent } from './publishing/events.ts';
import type { Published, TickerState, TickerStates } from './publishing/ticker-states.ts';
import {
  judgeQuote,
  type HygieneOptions,
  type PriceData,
  type PublishedQuote,
} from './quotes/hygiene.ts';
import type { BatchResult, QuoteSource, SourceRejection } from './quotes/source.ts';

export interface CycleSettings {
  readonly defaultTickers: readonly string[];
  readonly batchSize: number;
  readonly hygiene: HygieneOptions;
  /** A rejected ticker is left out this long, then asked for again. */
  readonly unknownRecheckMs: number;
}

export interface CycleDependencies {
  readonly source: QuoteSource;
  readonly breaker: BatchBreaker;
  readonly activeTickers: (now: Date) => Promise<readonly string[]>;
  readonly states: TickerStates;
  readonly messaging: Pick<Messaging, 'publish'>;
  readonly metrics: CollectorMetrics;
  readonly logger: Logger;
  readonly settings: CycleSettings;
  readonly clock?: () => number;
}

export interface CycleReport {
  /** The tickers this cycle collected. */
  readonly tickers: readonly string[];
  readonly published: number;
  readonly failedBatches: number;
}

/** Batches whose publishing may still be running while the next ones are fetched. */
const MAX_BATCHES_IN_FLIGHT = 20;

export interface CollectorCycle {
  run(): Promise<CycleReport>;
}

export function createCollectorCycle(deps: CycleDependencies): CollectorCycle {
  const { source, breaker, states, messaging, metrics, settings } = deps;
  const logger = deps.logger.child({ component: 'cycle' });
  const clock = deps.clock ?? Date.now;
  const tracer = getTracer('collector');
  /** Implausible jumps waiting for the next quote to confirm them. */
  const held = new Map<string, PriceData>();

  const lastPublished = (state: TickerState | undefined): PublishedQuote | undefined =>
    state?.lastMarketTime !== undefined && state.lastPrice !== undefined
      ? { marketTime: state.lastMarketTime, price: state.lastPrice }
      : undefined;

  const tickersToCollect = async (now: number): Promise<string[]> => {
    const wanted = new Set([
      ...settings.defaultTickers,
      ...(await deps.activeTickers(new Date(now))),
    ]);
    return [...wanted]
      .filter((ticker) => {
        const rejection = states.get(ticker)?.rejection;
        return !rejection || now - rejection.at >= settings.unknownRecheckMs;
      })
      .sort();
  };

  /** Reported once: published, then recorded; a recheck that finds it still unknown only renews it. */
  const reportRejection = async (rejection: SourceRejection, now: number): Promise<void> => {
    const at = new Date(now);
    if (states.get(rejection.ticker)?.rejection) {
      await states.recordRejected(rejection, at);
      return;
    }
    await messaging.publish(tickerRejectedEvent(rejection, source.name, at));
    await states.recordRejected(rejection, at);
    metrics.tickerRejected(rejection.reason);
    logger.warn(
      { ticker: rejection.ticker, reason: rejection.reason, detail: rejection.detail },
      'the quote source does not know this ticker: reported once, left out until the recheck',
    );
  };

  const publishAll = async (prices: readonly PriceData[]): Promise<number> => {
    const settled = await Promise.allSettled(
      prices.map((data) => messaging.publish(priceUpdatedEvent(data))),
    );
    const confirmed: Published[] = [];
    settled.forEach((result, index) => {
      const data = prices[index];
      if (result.status === 'fulfilled' && data) {
        confirmed.push({
          ticker: data.ticker,
          marketTime: Date.parse(data.marketTime),
          price: data.price,
          exchange: data.exchange,
        });
      }
    });
    const failed = settled.length - confirmed.length;
    if (failed > 0) {
      metrics.publishFailed(failed);
      const reason = settled.find((result) => result.status === 'rejected')?.reason as unknown;
      logger.warn({ err: reason, failed }, 'price events not confirmed: republished next cycle');
    }
    states.recordPublished(confirmed);
    metrics.quotesPublished(confirmed.length);
    return confirmed.length;
  };

  const handleBatch = async (result: BatchResult, now: number): Promise<number> => {
    const prices: PriceData[] = [];
    const rejections = [...result.rejected];
    const reappeared: string[] = [];
    for (const quote of result.quotes) {
      const state = states.get(quote.ticker);
      if (state?.rejection) reappeared.push(quote.ticker);
      const verdict = judgeQuote(
        quote,
        lastPublished(state),
        held.get(quote.ticker),
        source.name,
        settings.hygiene,
      );
      switch (verdict.kind) {
        case 'publish':
          held.delete(quote.ticker);
          prices.push(verdict.data);
          break;
        case 'held':
          held.set(quote.ticker, verdict.data);
          metrics.quoteDropped('held');
          logger.info(
            { ticker: quote.ticker, price: verdict.data.price, last: state?.lastPrice },
            'implausible jump held until the next quote confirms it',
          );
          break;
        case 'duplicate':
        case 'stale':
          metrics.quoteDropped(verdict.kind);
          break;
        case 'rejected':
          metrics.quoteRejected(verdict.reason);
          // A ticker the source lists but has never priced: tell the users once.
          if (verdict.reason === 'missing-price' && !lastPublished(state)) {
            rejections.push({
              ticker: quote.ticker,
              reason: 'NO_PRICE',
              detail: `${source.name} knows ${quote.ticker} but reports no price for it`,
            });
          }
          break;
      }
    }
    await Promise.all([
      ...reappeared.map((ticker) => states.clearRejected(ticker)),
      ...rejections.map((rejection) => reportRejection(rejection, now)),
    ]);
    return publishAll(prices);
  };

  /**
   * One batch through the breaker, in a span (symbols, breaker state, outcome). Its publishing
   * starts inside the span, so the price events' publish spans (and everything downstream:
   * the alerter, the email) continue this trace; `handled` resolves to the confirmed count.
   */
  const fetchBatch = (
    batch: readonly string[],
    now: number,
  ): Promise<{ handled?: Promise<number> }> =>
    withSpan(
      tracer,
      'fetch quotes',
      {
        attributes: {
          'tickwatch.quotes.source': source.name,
          'tickwatch.quotes.symbols': batch.length,
          'tickwatch.circuit.state': breaker.state(),
        },
      },
      async (span) => {
        const fetchStarted = performance.now();
        const outcome = await breaker.fetch(batch);
        const durationMs = performance.now() - fetchStarted;
        span.setAttribute('tickwatch.quotes.outcome', outcome.ok ? 'ok' : outcome.reason);
        if (!outcome.ok) {
          metrics.batchFetched({ durationMs, quotes: 0, failure: outcome.reason });
          if (outcome.reason !== 'circuit-open') {
            markFailed(span, outcome.error);
            logger.warn(
              { err: outcome.error, reason: outcome.reason, tickers: batch.length },
              'batch fetch failed',
            );
          }
          return {};
        }
        span.setAttribute('tickwatch.quotes.returned', outcome.result.quotes.length);
        metrics.batchFetched({ durationMs, quotes: outcome.result.quotes.length });
        const handled = handleBatch(outcome.result, now).catch((error: unknown) => {
          // The broker or the database failed us: nothing was recorded, so the same quotes
          // (same event ids) go out again next cycle.
          logger.error(
            { err: error, tickers: batch.length },
            'batch not published; retried next cycle',
          );
          return 0;
        });
        return { handled };
      },
    );

  return {
    async run() {
      const started = performance.now();
      const now = clock();
      const tickers = await tickersToCollect(now);
      metrics.tickersWatched(tickers.length);
      const inFlight: Promise<number>[] = [];
      let published = 0;
      let failedBatches = 0;
      for (let offset = 0; offset < tickers.length; offset += settings.batchSize) {
        const batch = tickers.slice(offset, offset + settings.batchSize);
        if (breaker.state() !== 'open') await source.pace();
        const { handled } = await fetchBatch(batch, now);
        if (!handled) {
          failedBatches += 1;
          continue;
        }
        inFlight.push(handled);
        if (inFlight.length >= MAX_BATCHES_IN_FLIGHT) published += await (inFlight.shift() ?? 0);
      }
      for (const batch of inFlight) published += await batch;
      metrics.cycleCompleted({ durationMs: performance.now() - started });
      return { tickers, published, failedBatches };
    },
  };
}
