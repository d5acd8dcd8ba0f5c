/**
 * How each event changes the read models, as bulk operations over a batch of events. Each
 * write is idempotent by event id (a redelivered or replayed event changes nothing):
 * - latest quote: replaced only by a newer market time;
 * - minute bucket: a sample whose market time the bucket holds is refused (price.updated ids
 *   are ticker + market time); the day bucket only counts samples a minute bucket accepted;
 * - moving average: replaced only by a newer market time;
 * - alert: keyed by its alert id;
 * - delivery status: replaced only by a later (or final) outcome.
 */
import type { AnyBulkWriteOperation } from 'mongodb';
import type { Event, EventType } from '@tickwatch/contracts';
import { bulkWriteIdempotent } from './bulk.ts';
import type {
  AlertRow,
  BucketInterval,
  LatestQuoteRow,
  MovingAverageRow,
  NotificationRow,
  PriceBucketRow,
  ReadModels,
  RejectedTickerRow,
} from './models.ts';

type PriceEvent = Event<typeof EventType.priceUpdated>;
export type AveragesEvent = Event<typeof EventType.averagesUpdated>;
export type AlertEvent = Event<typeof EventType.alertTriggered>;
type RejectedEvent = Event<typeof EventType.tickerRejected>;
export type DeliveryEvent =
  Event<typeof EventType.notificationSent> | Event<typeof EventType.notificationFailed>;

export interface ProjectionSettings {
  readonly retentionDays: number;
}

const DAY_MS = 86_400_000;

export function bucketStart(time: Date, interval: BucketInterval): Date {
  const size = interval === '1m' ? 60_000 : DAY_MS;
  return new Date(Math.floor(time.getTime() / size) * size);
}

export const bucketId = (ticker: string, interval: BucketInterval, start: Date): string =>
  `${ticker}|${interval}|${start.toISOString()}`;

/** `<ISO time>|<price>`: ISO instants of one format sort as text in time order. */
export const priceKey = (time: Date, price: number): string => `${time.toISOString()}|${price}`;
export const priceOfKey = (key: string): number => Number(key.slice(key.indexOf('|') + 1));

function bucketUpdate(event: PriceEvent, interval: BucketInterval, settings: ProjectionSettings) {
  const time = new Date(event.data.marketTime);
  const start = bucketStart(time, interval);
  const key = priceKey(time, event.data.price);
  const retentionMs = settings.retentionDays * DAY_MS;
  return {
    id: bucketId(event.data.ticker, interval, start),
    time,
    update: {
      $setOnInsert: {
        ticker: event.data.ticker,
        interval,
        start,
        expiresAt: new Date(start.getTime() + retentionMs),
      },
      $inc: { sum: event.data.price, count: 1 },
      $min: { low: event.data.price, openKey: key },
      $max: { high: event.data.price, closeKey: key },
    },
  };
}

export async function projectPrices(
  models: ReadModels,
  events: readonly PriceEvent[],
  settings: ProjectionSettings,
): Promise<void> {
  if (events.length === 0) return;
  const latest: AnyBulkWriteOperation<LatestQuoteRow>[] = events.map((event) => {
    const marketTime = new Date(event.data.marketTime);
    return {
      updateOne: {
        filter: { _id: event.data.ticker, marketTime: { $lt: marketTime } },
        update: {
          $set: { ...event.data, marketTime, publishedAt: new Date(event.time), eventId: event.id },
        },
        upsert: true,
      },
    };
  });
  const minutes: AnyBulkWriteOperation<PriceBucketRow>[] = events.map((event) => {
    const { id, time, update } = bucketUpdate(event, '1m', settings);
    return {
      updateOne: {
        filter: { _id: id, times: { $ne: time.getTime() } },
        update: { ...update, $push: { times: time.getTime() } },
        upsert: true,
      },
    };
  });
  const tickers = [...new Set(events.map((e) => e.data.ticker))];
  const [, duplicates] = await Promise.all([
    bulkWriteIdempotent(models.quotes, latest),
    bulkWriteIdempotent(models.buckets, minutes),
    models.rejectedTickers.deleteMany({ _id: { $in: tickers } }),
  ]);
  // Only samples the minute buckets took are new: count those in the day buckets.
  const days: AnyBulkWriteOperation<PriceBucketRow>[] = events
    .filter((_, index) => !duplicates.has(index))
    .map((event) => {
      const { id, update } = bucketUpdate(event, '1d', settings);
      return { updateOne: { filter: { _id: id }, update, upsert: true } };
    });
  await bulkWriteIdempotent(models.buckets, days);
}

export async function projectAverages(
  models: ReadModels,
  events: readonly AveragesEvent[],
): Promise<void> {
  await bulkWriteIdempotent(
    models.averages,
    events.flatMap((event) =>
      event.data.averages.map((average): AnyBulkWriteOperation<MovingAverageRow> => {
        const marketTime = new Date(average.marketTime);
        return {
          updateOne: {
            filter: {
              _id: `${average.ticker}|${average.windowMinutes}`,
              marketTime: { $lt: marketTime },
            },
            update: { $set: { ...average, marketTime } },
            upsert: true,
          },
        };
      }),
    ),
  );
}

/** An alert as the read model stores it (also what `alertTriggered` pushes). */
export function alertRow(event: AlertEvent): AlertRow {
  const { alertId, marketTime, quotePublishedAt, triggeredAt, ...rest } = event.data;
  return {
    _id: alertId,
    ...rest,
    condition: rest.condition,
    marketTime: new Date(marketTime),
    quotePublishedAt: new Date(quotePublishedAt),
    triggeredAt: new Date(triggeredAt),
  };
}

export async function projectAlerts(
  models: ReadModels,
  events: readonly AlertEvent[],
): Promise<void> {
  await bulkWriteIdempotent(
    models.alerts,
    events.map((event): AnyBulkWriteOperation<AlertRow> => ({
      insertOne: { document: alertRow(event) },
    })),
  );
}

export async function projectRejections(
  models: ReadModels,
  events: readonly RejectedEvent[],
): Promise<void> {
  await bulkWriteIdempotent(
    models.rejectedTickers,
    events.map((event): AnyBulkWriteOperation<RejectedTickerRow> => ({
      updateOne: {
        filter: { _id: event.data.ticker },
        update: {
          $set: {
            reason: event.data.reason,
            detail: event.data.detail,
            source: event.data.source,
            rejectedAt: new Date(event.data.rejectedAt),
          },
        },
        upsert: true,
      },
    })),
  );
}

/** A delivery's state after `event` (also what `notificationUpdated` pushes, with its id). */
export function deliveryRow(event: DeliveryEvent): Omit<NotificationRow, '_id' | 'firstSeenAt'> {
  const sent = event.type === 'tickwatch.notification.sent.v1';
  const { data } = event;
  const failed = 'code' in data ? data : null;
  return {
    alertId: data.alertId,
    userId: data.userId,
    channel: data.channel,
    status: sent ? 'SENT' : failed?.permanent ? 'FAILED' : 'RETRYING',
    attempts: data.attempts,
    rank: data.attempts * 2 + (sent || failed?.permanent ? 1 : 0),
    messageId: 'messageId' in data ? data.messageId : null,
    code: failed?.code ?? null,
    reason: failed?.reason ?? null,
    updatedAt: new Date(event.time),
  };
}

export async function projectDeliveries(
  models: ReadModels,
  events: readonly DeliveryEvent[],
): Promise<void> {
  await bulkWriteIdempotent(
    models.notifications,
    events.map((event): AnyBulkWriteOperation<NotificationRow> => {
      const row = deliveryRow(event);
      return {
        updateOne: {
          filter: { _id: event.data.deliveryId, rank: { $lt: row.rank } },
          update: { $set: row, $setOnInsert: { firstSeenAt: new Date(event.time) } },
          upsert: true,
        },
      };
    }),
  );
}
