/**
 * Loading a partition's state and writing a delivery batch's effects.
 *
 * A batch is written with one `bulkWrite` of the tickers collection, whatever the number of
 * tickers it touched: per ticker, its last quote, signals, windows, changed trigger states and
 * new alerts (outbox entries), guarded by the `rev` it was loaded at. Batches that carried rule
 * events also write the rule copies (a second `bulkWrite`, another collection), after the
 * tickers: a crash between the two leaves rule events that the redelivery applies again (their
 * version is still newer), while the quotes are not applied twice (their market time is no
 * longer newer), so no quote is ever evaluated against a rule that came after it; the rule
 * version then goes on from the trigger state written ahead of it (partition-book.ts).
 */
import type { EventType } from '@tickwatch/contracts';
import { type Event } from '@tickwatch/contracts';
import { withOutbox } from '@tickwatch/infra/messaging/outbox';
import { currentTraceContext } from '@tickwatch/infra/telemetry';
import type { AnyBulkWriteOperation, UpdateQuery } from 'mongoose';
import { PartitionBook, type RuleCopy, type StoredTicker } from '../domain/partition-book.ts';
import type { TickerBook } from '../domain/ticker-book.ts';
import type { AlerterModels, RuleDocument, TickerDocument } from './models.ts';

type AlertEvent = Event<typeof EventType.alertTriggered>;

/** A partition in memory, with the `rev` of each ticker document as last read or written. */
export interface LoadedPartition {
  readonly book: PartitionBook;
  readonly revs: Map<string, number>;
}

/** Another replica wrote this partition's documents since we read them. */
export class StalePartitionError extends Error {
  constructor(partition: number, detail: string) {
    super(`partition ${partition} changed under this replica (${detail}); reloading it`);
    this.name = 'StalePartitionError';
  }
}

const DUPLICATE_KEY = 11000;

export async function loadPartition(
  models: AlerterModels,
  partition: number,
  now: number,
): Promise<LoadedPartition> {
  const [rules, tickers] = await Promise.all([
    models.rules.find({ partition }).lean<RuleDocument[]>(),
    models.tickers
      .find({ partition }, { pendingEvents: 0, failedEvents: 0, outboxLease: 0 })
      .lean<TickerDocument[]>(),
  ]);
  const copies: RuleCopy[] = rules.map((doc) => ({ rule: doc.rule, deleted: doc.deleted }));
  const stored: StoredTicker[] = tickers.map((doc) => ({
    ticker: doc._id,
    snapshot: {
      lastPrice: doc.lastPrice,
      lastMarketTime: doc.lastMarketTime,
      previousClose: doc.previousClose,
      timeZone: doc.timeZone,
      signals: doc.signals,
      windows: doc.windows,
    },
    triggers: new Map(Object.entries(doc.triggers)),
  }));
  return {
    book: PartitionBook.restore(partition, copies, stored, now),
    revs: new Map(tickers.map((doc) => [doc._id, doc.rev])),
  };
}

export interface BatchEffects {
  readonly tickers: readonly TickerBook[];
  readonly alerts: ReadonlyMap<string, readonly AlertEvent[]>;
  readonly rules: readonly RuleCopy[];
}

/** Writes a batch's effects; throws StalePartitionError when another replica got there first. */
export async function writeBatch(
  models: AlerterModels,
  loaded: LoadedPartition,
  effects: BatchEffects,
): Promise<void> {
  const { partition } = loaded.book;
  if (effects.tickers.length > 0) {
    const operations = effects.tickers.map((ticker) =>
      tickerUpdate(partition, ticker, loaded.revs.get(ticker.ticker) ?? 0, effects.alerts),
    );
    await guarded(partition, 'tickers', operations.length, () =>
      models.tickers.bulkWrite(operations, { ordered: false }),
    );
    for (const ticker of effects.tickers) {
      loaded.revs.set(ticker.ticker, (loaded.revs.get(ticker.ticker) ?? 0) + 1);
    }
  }
  if (effects.rules.length > 0) {
    await guarded(partition, 'rules', effects.rules.length, () =>
      models.rules.bulkWrite(
        effects.rules.map((copy) => ruleUpsert(partition, copy)),
        {
          ordered: false,
        },
      ),
    );
  }
}

function tickerUpdate(
  partition: number,
  ticker: TickerBook,
  rev: number,
  alerts: ReadonlyMap<string, readonly AlertEvent[]>,
): AnyBulkWriteOperation<TickerDocument> {
  const snapshot = ticker.snapshot();
  const set: Record<string, unknown> = {
    partition,
    lastPrice: snapshot.lastPrice,
    lastMarketTime: snapshot.lastMarketTime,
    previousClose: snapshot.previousClose,
    timeZone: snapshot.timeZone,
    signals: snapshot.signals,
    windows: snapshot.windows,
  };
  const unset: Record<string, ''> = {};
  for (const [ruleId, state] of ticker.takeStateWrites()) {
    if (state) set[`triggers.${ruleId}`] = state;
    else unset[`triggers.${ruleId}`] = '';
  }
  const update: UpdateQuery<TickerDocument> = {
    $set: set,
    $inc: { rev: 1 },
    ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}),
  };
  return {
    updateOne: {
      filter: { _id: ticker.ticker, rev },
      // The alert events continue the evaluation's trace (quote → alert → email).
      update: withOutbox(update, alerts.get(ticker.ticker) ?? [], currentTraceContext()),
      // A ticker never written has rev 0: the upsert creates it, or fails on the duplicate
      // _id if another replica created it meanwhile.
      upsert: rev === 0,
    },
  };
}

function ruleUpsert(partition: number, copy: RuleCopy): AnyBulkWriteOperation<RuleDocument> {
  const { rule, deleted } = copy;
  return {
    updateOne: {
      // Only over an older version: a newer one makes the upsert fail on the duplicate _id.
      filter: { _id: rule.id, version: { $lt: rule.version } },
      update: { $set: { partition, ticker: rule.ticker, version: rule.version, deleted, rule } },
      upsert: true,
    },
  };
}

/** Runs a bulkWrite and turns "some document was not where we left it" into StalePartitionError. */
async function guarded(
  partition: number,
  collection: string,
  expected: number,
  write: () => Promise<{ matchedCount: number; upsertedCount: number }>,
): Promise<void> {
  let result: { matchedCount: number; upsertedCount: number };
  try {
    result = await write();
  } catch (error) {
    const writeErrors = (error as { writeErrors?: { code?: number }[] }).writeErrors;
    if (writeErrors?.length && writeErrors.every((e) => e.code === DUPLICATE_KEY)) {
      throw new StalePartitionError(partition, `${collection}: a newer document exists`);
    }
    throw error;
  }
  if (result.matchedCount + result.upsertedCount !== expected) {
    throw new StalePartitionError(
      partition,
      `${collection}: ${expected - result.matchedCount - result.upsertedCount} of ${expected} documents moved on`,
    );
  }
}
