/**
 * The read side's queries, each through an index of models.ts (read-queries.test.ts proves it
 * with explain). Scoped by user where the data is a user's: a user id always comes from the
 * verified token, never from arguments.
 */
import type { QueryFilter } from 'mongoose';
import { badInput } from '../graphql/errors.ts';
import { validTicker } from '../users/rule-input.ts';
import type { InterestLeases } from './interest-leases.ts';
import type { MarketMemory, Quote } from './market-memory.ts';
import type {
  AlertRow,
  MovingAverageRow,
  NotificationRow,
  PriceBucketRow,
  ReadModels,
} from './models.ts';
import { bucketStart, priceOfKey } from './projections.ts';

export type QuoteStatus = 'AVAILABLE' | 'PENDING' | 'UNKNOWN_TICKER';
export interface QuoteResult {
  readonly ticker: string;
  readonly status: QuoteStatus;
  readonly quote: Quote | null;
}

export interface Bucket {
  readonly start: Date;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly average: number;
  readonly sampleCount: number;
}

export type PriceInterval = 'MINUTE' | 'HOUR' | 'DAY';

export interface Page<T> {
  readonly edges: { cursor: string; node: T }[];
  readonly pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export const MAX_QUOTES = 50;
/** A quote asked for once keeps its ticker collected this long (subscriptions renew theirs). */
export const QUOTE_LEASE_MS = 120_000;
export const MAX_PAGE = 100;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Longest span per interval: bounds the rows one query reads. */
const MAX_SPAN_MS: Record<PriceInterval, number> = {
  MINUTE: DAY_MS,
  HOUR: 7 * DAY_MS,
  DAY: 366 * DAY_MS,
};

function toBucket(
  row: Pick<PriceBucketRow, 'start' | 'openKey' | 'closeKey' | 'high' | 'low' | 'sum' | 'count'>,
): Bucket {
  return {
    start: row.start,
    open: priceOfKey(row.openKey),
    close: priceOfKey(row.closeKey),
    high: row.high,
    low: row.low,
    average: row.sum / row.count,
    sampleCount: row.count,
  };
}

/** Minute buckets merged into hours (at most 7 · 24 · 60 rows read). */
function hourly(rows: readonly PriceBucketRow[]): Bucket[] {
  const hours = new Map<number, PriceBucketRow>();
  for (const row of rows) {
    const hour = Math.floor(row.start.getTime() / HOUR_MS) * HOUR_MS;
    const merged = hours.get(hour);
    hours.set(
      hour,
      merged
        ? {
            ...merged,
            sum: merged.sum + row.sum,
            count: merged.count + row.count,
            high: Math.max(merged.high, row.high),
            low: Math.min(merged.low, row.low),
            openKey: merged.openKey < row.openKey ? merged.openKey : row.openKey,
            closeKey: merged.closeKey > row.closeKey ? merged.closeKey : row.closeKey,
          }
        : { ...row, start: new Date(hour) },
    );
  }
  return [...hours.values()].map(toBucket);
}

/** Opaque page cursor: the sort key of the last row. */
export function encodeCursor(time: Date, id: string): string {
  return Buffer.from(JSON.stringify([time.getTime(), id])).toString('base64url');
}

export function decodeCursor(cursor: string, field = 'after'): { time: Date; id: string } {
  try {
    const [time, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [
      unknown,
      unknown,
    ];
    if (typeof time === 'number' && typeof id === 'string') return { time: new Date(time), id };
  } catch {
    // reported below
  }
  throw badInput(field, 'is not a cursor from this API');
}

function pageSize(first: number): number {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE)
    throw badInput('first', `must be from 1 to ${MAX_PAGE}`);
  return first;
}

/** Rows after the cursor in (time desc, id desc) order, one more than asked (hasNextPage). */
async function pageOf<T extends { _id: string }>(
  find: (filter: QueryFilter<T>, limit: number) => Promise<T[]>,
  timeField: keyof T & string,
  first: number,
  after: string | null | undefined,
): Promise<Page<T>> {
  const size = pageSize(first);
  const cursor = after ? decodeCursor(after) : null;
  const filter = (
    cursor
      ? {
          $or: [
            { [timeField]: { $lt: cursor.time } },
            { [timeField]: cursor.time, _id: { $lt: cursor.id } },
          ],
        }
      : {}
  ) as QueryFilter<T>;
  const rows = await find(filter, size + 1);
  const edges = rows
    .slice(0, size)
    .map((node) => ({ cursor: encodeCursor(node[timeField] as Date, node._id), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
  };
}

export function createReadQueries(options: {
  readonly models: ReadModels;
  readonly memory: MarketMemory;
  readonly interest: InterestLeases;
}) {
  const { models, memory, interest } = options;

  const quote = (tickerInput: string, field = 'ticker'): QuoteResult => {
    const ticker = validTicker(tickerInput, field);
    const known = memory.quote(ticker);
    if (known) return { ticker, status: 'AVAILABLE', quote: known };
    if (memory.isRejected(ticker)) return { ticker, status: 'UNKNOWN_TICKER', quote: null };
    interest.request(ticker, QUOTE_LEASE_MS);
    return { ticker, status: 'PENDING', quote: null };
  };

  return {
    quote,

    quotes(tickers: readonly string[]): QuoteResult[] {
      if (tickers.length > MAX_QUOTES) throw badInput('tickers', `at most ${MAX_QUOTES} tickers`);
      return tickers.map((ticker, index) => quote(ticker, `tickers.${index}`));
    },

    async averagePrice(tickerInput: string, days: number, now = new Date()) {
      const ticker = validTicker(tickerInput, 'ticker');
      if (!Number.isInteger(days) || days < 1 || days > 366)
        throw badInput('days', 'must be from 1 to 366');
      const to = now;
      const from = new Date(bucketStart(now, '1d').getTime() - (days - 1) * DAY_MS);
      const rows = await models.buckets
        .find({ ticker, interval: '1d', start: { $gte: from, $lte: to } }, { sum: 1, count: 1 })
        .lean<Pick<PriceBucketRow, 'sum' | 'count'>[]>();
      const sum = rows.reduce((total, row) => total + row.sum, 0);
      const sampleCount = rows.reduce((total, row) => total + row.count, 0);
      return {
        ticker,
        days,
        average: sampleCount > 0 ? sum / sampleCount : null,
        sampleCount,
        from,
        to,
      };
    },

    async priceHistory(
      tickerInput: string,
      from: Date,
      to: Date,
      interval: PriceInterval,
    ): Promise<Bucket[]> {
      const ticker = validTicker(tickerInput, 'ticker');
      if (to.getTime() <= from.getTime()) throw badInput('to', 'must be after from');
      if (to.getTime() - from.getTime() > MAX_SPAN_MS[interval]) {
        throw badInput(
          'from',
          `a ${interval} history spans at most ${MAX_SPAN_MS[interval] / DAY_MS} day(s)`,
        );
      }
      const stored = interval === 'DAY' ? '1d' : '1m';
      const rows = await models.buckets
        .find(
          { ticker, interval: stored, start: { $gte: bucketStart(from, stored), $lt: to } },
          { times: 0 },
        )
        .sort({ start: 1 })
        .lean<PriceBucketRow[]>();
      return interval === 'HOUR' ? hourly(rows) : rows.map(toBucket);
    },

    async movingAverages(tickerInput: string): Promise<MovingAverageRow[]> {
      const ticker = validTicker(tickerInput, 'ticker');
      return models.averages
        .find({ ticker })
        .sort({ windowMinutes: 1 })
        .lean<MovingAverageRow[]>()
        .exec();
    },

    alerts(userId: string, first: number, after?: string | null): Promise<Page<AlertRow>> {
      return pageOf<AlertRow>(
        (filter, limit) =>
          models.alerts
            .find({ ...filter, userId })
            .sort({ triggeredAt: -1, _id: -1 })
            .limit(limit)
            .lean<AlertRow[]>(),
        'triggeredAt',
        first,
        after,
      );
    },

    notifications(
      userId: string,
      first: number,
      after?: string | null,
    ): Promise<Page<NotificationRow>> {
      return pageOf<NotificationRow>(
        (filter, limit) =>
          models.notifications
            .find({ ...filter, userId })
            .sort({ firstSeenAt: -1, _id: -1 })
            .limit(limit)
            .lean<NotificationRow[]>(),
        'firstSeenAt',
        first,
        after,
      );
    },

    /** The deliveries of one alert of `userId` (exec: graphql must get a Promise, not a Query). */
    deliveriesOf(userId: string, alertId: string): Promise<NotificationRow[]> {
      return models.notifications
        .find({ alertId, userId })
        .sort({ channel: 1 })
        .lean<NotificationRow[]>()
        .exec();
    },

    /** Which of these rule versions fired (for TRIGGERED). */
    async firedRuleVersions(userId: string, ruleIds: readonly string[]): Promise<Set<string>> {
      if (ruleIds.length === 0) return new Set();
      const rows = await models.alerts
        .find({ userId, ruleId: { $in: ruleIds } }, { ruleId: 1, ruleVersion: 1 })
        .lean<Pick<AlertRow, 'ruleId' | 'ruleVersion'>[]>();
      return new Set(rows.map((row) => `${row.ruleId}@${row.ruleVersion}`));
    },

    isTickerUnknown: (ticker: string) => memory.isRejected(ticker),
    latestQuote: (ticker: string) => memory.quote(ticker) ?? null,

    async purgeUser(userId: string): Promise<void> {
      await Promise.all([
        models.alerts.deleteMany({ userId }),
        models.notifications.deleteMany({ userId }),
      ]);
    },
  };
}

export type ReadQueries = ReturnType<typeof createReadQueries>;
