/**
 * Per ticker: the last quote the broker confirmed (market time, price, exchange) and whether the
 * source rejected the ticker. Read once at start into memory (hygiene consults it for every
 * quote), written only after a confirm, one bulkWrite per batch: a crash between the confirm and
 * the write republishes the same event id rather than skipping the tick.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { AnyBulkWriteOperation } from 'mongodb';
import type { SourceRejection } from '../quotes/source.ts';
import { collectionOf } from '../store.ts';

export interface TickerStateRow {
  _id: string;
  lastMarketTime?: Date;
  lastPrice?: number;
  exchange?: string;
  rejection?: { reason: SourceRejection['reason']; detail: string; at: Date };
}

const tickerStateFields = {
  _id: String,
  lastMarketTime: Date,
  lastPrice: Number,
  exchange: String,
  rejection: { reason: String, detail: String, at: Date },
};
const tickerStateSchema = new Schema<TickerStateRow>(tickerStateFields, {
  collection: 'tickers',
  versionKey: false,
});

export interface TickerState {
  readonly lastMarketTime?: number;
  readonly lastPrice?: number;
  readonly exchange?: string;
  readonly rejection?: { readonly reason: SourceRejection['reason']; readonly at: number };
}

export interface Published {
  readonly ticker: string;
  readonly marketTime: number;
  readonly price: number;
  readonly exchange: string;
}

export interface TickerStates {
  load(): Promise<void>;
  get(ticker: string): TickerState | undefined;
  /** Every known ticker's state (for the calendar: which exchanges are watched). */
  all(): ReadonlyMap<string, TickerState>;
  /** After the broker confirmed these quotes. */
  recordPublished(published: readonly Published[]): Promise<void>;
  /** After the broker confirmed the ticker.rejected event. */
  recordRejected(rejection: SourceRejection, at: Date): Promise<void>;
  /** The source knows the ticker again. */
  clearRejected(ticker: string): Promise<void>;
}

export function tickerStates(connection: Connection): TickerStates {
  const model =
    (connection.models.TickerState as Model<TickerStateRow> | undefined) ??
    connection.model<TickerStateRow>('TickerState', tickerStateSchema);
  const collection = collectionOf<TickerStateRow>(connection, 'tickers');
  const states = new Map<string, TickerState>();
  const update = (ticker: string, change: Partial<TickerState>) =>
    states.set(ticker, { ...states.get(ticker), ...change });

  return {
    async load() {
      states.clear();
      for (const row of await model.find().lean()) {
        states.set(row._id, {
          lastMarketTime: row.lastMarketTime?.getTime(),
          lastPrice: row.lastPrice,
          exchange: row.exchange,
          rejection: row.rejection
            ? { reason: row.rejection.reason, at: row.rejection.at.getTime() }
            : undefined,
        });
      }
    },
    get: (ticker) => states.get(ticker),
    all: () => states,
    async recordPublished(published) {
      if (published.length === 0) return;
      const operations: AnyBulkWriteOperation<TickerStateRow>[] = published.map((quote) => ({
        updateOne: {
          // $max: a slower, older batch can never move a ticker's market time backwards.
          filter: { _id: quote.ticker },
          update: {
            $max: { lastMarketTime: new Date(quote.marketTime) },
            $set: { lastPrice: quote.price, exchange: quote.exchange },
          },
          upsert: true,
        },
      }));
      await collection.bulkWrite(operations, { ordered: false });
      for (const quote of published) {
        update(quote.ticker, {
          lastMarketTime: quote.marketTime,
          lastPrice: quote.price,
          exchange: quote.exchange,
        });
      }
    },
    async recordRejected(rejection, at) {
      await collection.updateOne(
        { _id: rejection.ticker },
        { $set: { rejection: { reason: rejection.reason, detail: rejection.detail, at } } },
        { upsert: true },
      );
      update(rejection.ticker, { rejection: { reason: rejection.reason, at: at.getTime() } });
    },
    async clearRejected(ticker) {
      await collection.updateOne({ _id: ticker }, { $unset: { rejection: '' } });
      update(ticker, { rejection: undefined });
    },
  };
}
