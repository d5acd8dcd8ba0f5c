/**
 * The read side's collections (projections of events; the users collection is the command
 * side's). Every query the API makes has an index here (read-queries.test.ts checks each one
 * with `explain`). Documents are written by projector.ts only, and can be rebuilt from the
 * event log (rebuild.ts).
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { Condition } from '@tickwatch/contracts';

export interface LatestQuoteRow {
  _id: string; // ticker
  ticker: string;
  price: number;
  currency: string;
  exchange: string;
  exchangeTimeZone: string;
  marketState: string;
  marketTime: Date;
  delayMinutes: number;
  previousClose: number | null;
  dayLow: number | null;
  dayHigh: number | null;
  volume: number | null;
  source: string;
  publishedAt: Date;
  eventId: string;
}

export type BucketInterval = '1m' | '1d';

/**
 * One ticker's quotes in one minute (or UTC day): OHLC, sum and count. `openKey`/`closeKey`
 * are `<market time ISO>|<price>`: $min/$max on them keep the earliest and latest price
 * whatever order the events arrive in. Minute buckets remember their samples' market times
 * (`times`), which makes a redelivered quote a no-op: a price.updated id IS ticker + market time.
 */
export interface PriceBucketRow {
  _id: string;
  ticker: string;
  interval: BucketInterval;
  start: Date;
  sum: number;
  count: number;
  low: number;
  high: number;
  openKey: string;
  closeKey: string;
  times?: number[];
  expiresAt: Date;
}

export interface MovingAverageRow {
  _id: string; // ticker|window
  ticker: string;
  windowMinutes: number;
  average: number;
  previousAverage: number | null;
  sampleCount: number;
  marketTime: Date;
}

export interface AlertRow {
  _id: string; // alert id
  ruleId: string;
  ruleVersion: number;
  sequence: number;
  userId: string;
  ticker: string;
  condition: Condition;
  frequency: string;
  price: number;
  previousPrice: number | null;
  referencePrice: number | null;
  currency: string;
  marketTime: Date;
  quotePublishedAt: Date;
  triggeredAt: Date;
  delayMinutes: number;
  channels: string[];
}

export type DeliveryStatus = 'SENT' | 'RETRYING' | 'FAILED';

export interface NotificationRow {
  _id: string; // delivery id
  alertId: string | null;
  userId: string;
  channel: string;
  status: DeliveryStatus;
  attempts: number;
  /** attempts · 2 (+1 when sent): a later or final outcome has a higher rank and wins. */
  rank: number;
  messageId: string | null;
  code: string | null;
  reason: string | null;
  firstSeenAt: Date;
  updatedAt: Date;
}

export interface RejectedTickerRow {
  _id: string; // ticker
  reason: string;
  detail: string;
  source: string;
  rejectedAt: Date;
}

export interface ReadModels {
  readonly quotes: Model<LatestQuoteRow>;
  readonly buckets: Model<PriceBucketRow>;
  readonly averages: Model<MovingAverageRow>;
  readonly alerts: Model<AlertRow>;
  readonly notifications: Model<NotificationRow>;
  readonly rejectedTickers: Model<RejectedTickerRow>;
}

const options = { versionKey: false, minimize: false, strict: false } as const;

function quotesSchema() {
  const schema = new Schema<LatestQuoteRow>(
    { _id: String, publishedAt: Date, marketTime: Date },
    { ...options, collection: 'read_latest_quotes' },
  );
  schema.index({ publishedAt: 1 });
  return schema;
}

function bucketsSchema() {
  const schema = new Schema<PriceBucketRow>(
    { _id: String, ticker: String, interval: String, start: Date, expiresAt: Date },
    { ...options, collection: 'read_price_buckets' },
  );
  schema.index({ ticker: 1, interval: 1, start: 1 });
  // Retention: each bucket carries its own expiry (PRICE_HISTORY_RETENTION_DAYS after it).
  schema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  return schema;
}

function averagesSchema() {
  const schema = new Schema<MovingAverageRow>(
    { _id: String, ticker: String, marketTime: Date },
    { ...options, collection: 'read_moving_averages' },
  );
  schema.index({ ticker: 1, windowMinutes: 1 });
  return schema;
}

function alertsSchema() {
  const schema = new Schema<AlertRow>(
    {
      _id: String,
      userId: String,
      ruleId: String,
      marketTime: Date,
      quotePublishedAt: Date,
      triggeredAt: Date,
    },
    { ...options, collection: 'read_alerts' },
  );
  schema.index({ userId: 1, triggeredAt: -1, _id: -1 });
  schema.index({ userId: 1, ruleId: 1, ruleVersion: 1 });
  return schema;
}

function notificationsSchema() {
  const schema = new Schema<NotificationRow>(
    { _id: String, userId: String, alertId: String, firstSeenAt: Date, updatedAt: Date },
    { ...options, collection: 'read_notifications' },
  );
  schema.index({ userId: 1, firstSeenAt: -1, _id: -1 });
  schema.index({ alertId: 1 });
  return schema;
}

function rejectedSchema() {
  return new Schema<RejectedTickerRow>(
    { _id: String, rejectedAt: Date },
    { ...options, collection: 'read_rejected_tickers' },
  );
}

function model<T>(connection: Connection, name: string, schema: () => Schema<T>): Model<T> {
  return (connection.models[name] as Model<T> | undefined) ?? connection.model<T>(name, schema());
}

export function readModels(connection: Connection): ReadModels {
  return {
    quotes: model(connection, 'ReadLatestQuote', quotesSchema),
    buckets: model(connection, 'ReadPriceBucket', bucketsSchema),
    averages: model(connection, 'ReadMovingAverage', averagesSchema),
    alerts: model(connection, 'ReadAlert', alertsSchema),
    notifications: model(connection, 'ReadNotification', notificationsSchema),
    rejectedTickers: model(connection, 'ReadRejectedTicker', rejectedSchema),
  };
}

/** Every read model's indexes, created at start (before the first query can miss one). */
export async function ensureReadIndexes(models: ReadModels): Promise<void> {
  await Promise.all(Object.values(models).map((m: Model<unknown>) => m.createIndexes()));
}
