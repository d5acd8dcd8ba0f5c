/**
 * Loading a partition's state and writing a delivery batch's effects.
 *
 * A batch that touched tickers is written in two `bulkWrite`s of small documents, whatever the
 * number of tickers (the driver's own, `Model.collection`: the documents are built here, in the
 * stored types, so mongoose's casting and cloning would only copy them once more per batch):
 *
 * 1. the ticker documents: per ticker, its last quote, signals, windows, new alerts (outbox
 *    entries) and, in `stateLog`, the trigger states the batch changed, guarded by the `rev` it
 *    was loaded at. This is the commit point: a replica working from stale memory fails here
 *    and writes nothing else.
 * 2. the trigger documents of those states, each stamped with its ticker document's new `rev`
 *    and written only over an older stamp, so a late write never undoes a newer one.
 *
 * A crash between the two leaves trigger documents behind their ticker's `stateLog`: loading
 * takes those states from the log and writes them before the partition is used (the log is
 * replaced by the ticker's next write). Batches that carried rule events also write the rule
 * copies, last: a crash before that leaves rule events that the redelivery applies again
 * (their version is still newer), while the quotes are not applied twice (their market time is
 * no longer newer), so no quote is ever evaluated against a rule that came after it; the rule
 * version then goes on from the trigger state written ahead of it (partition-book.ts).
 */
import type { EventType } from '@tickwatch/contracts';
import { type Event } from '@tickwatch/contracts';
import { withOutbox, withOutboxListsOnInsert } from '@tickwatch/infra/messaging/outbox';
import { currentTraceContext } from '@tickwatch/infra/telemetry';
import type { Model, mongo, UpdateQuery } from 'mongoose';
import { PartitionBook, type RuleCopy, type StoredTicker } from '../domain/partition-book.ts';
import type { TickerBook } from '../domain/ticker-book.ts';
import type { TriggerState } from '../domain/trigger.ts';
import type { AlerterModels, RuleDocument, TickerDocument, TriggerDocument } from './models.ts';
import { packWindows, unpackWindows } from './stored-windows.ts';

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

/** A trigger state to write, stamped with the `rev` of the ticker document that logged it. */
interface StateWrite {
  readonly ruleId: string;
  readonly ticker: string;
  readonly rev: number;
  readonly state: TriggerState | null;
}

/** A ticker document as read: one written by the previous version holds every state itself. */
type StoredTickerDocument = Omit<TickerDocument, 'stateLog'> & {
  stateLog?: TickerDocument['stateLog'];
  triggers?: Record<string, TriggerState>;
};

const DUPLICATE_KEY = 11000;

/** A model's collection as the driver has it, typed with the model's documents (string ids). */
const driverCollection = <T extends mongo.Document>(model: Model<T>): mongo.Collection<T> =>
  model.collection as unknown as mongo.Collection<T>;

/**
 * Reads the partition's rules, tickers and trigger states; first writes the trigger states its
 * ticker documents logged but the trigger documents lack (a crash between the two writes).
 */
export async function loadPartition(
  models: AlerterModels,
  partition: number,
  now: number,
): Promise<LoadedPartition> {
  const [rules, tickers, triggers] = await Promise.all([
    models.rules.find({ partition }).lean<RuleDocument[]>(),
    models.tickers
      .find({ partition }, { pendingEvents: 0, failedEvents: 0, outboxLease: 0 })
      .lean<StoredTickerDocument[]>(),
    models.triggers.find({ partition }).lean<TriggerDocument[]>(),
  ]);
  const written = new Map(triggers.map((doc) => [doc._id, doc]));
  const behind = tickers.flatMap((doc) => statesBehind(doc, written));
  await writeStates(models, partition, behind);
  if (tickers.some((doc) => doc.triggers)) {
    // Every state is in a trigger document now: the ticker documents become small.
    await models.tickers.collection.updateMany(
      { partition, triggers: { $exists: true } },
      { $unset: { triggers: '' } },
    );
  }
  const states = new Map<string, Map<string, TriggerState>>();
  const keep = (ticker: string, ruleId: string, state: TriggerState | null): void => {
    const map = states.get(ticker) ?? new Map<string, TriggerState>();
    if (state) map.set(ruleId, state);
    else map.delete(ruleId);
    states.set(ticker, map);
  };
  for (const doc of triggers) keep(doc.ticker, doc._id, doc.state);
  for (const write of behind) keep(write.ticker, write.ruleId, write.state);
  const copies: RuleCopy[] = rules.map((doc) => ({ rule: doc.rule, deleted: doc.deleted }));
  const stored: StoredTicker[] = tickers.map((doc) => ({
    ticker: doc._id,
    snapshot: {
      lastPrice: doc.lastPrice,
      lastMarketTime: doc.lastMarketTime,
      previousClose: doc.previousClose,
      timeZone: doc.timeZone,
      signals: doc.signals,
      windows: unpackWindows(doc.windows),
    },
    triggers: states.get(doc._id) ?? new Map(),
  }));
  return {
    book: PartitionBook.restore(partition, copies, stored, now),
    revs: new Map(tickers.map((doc) => [doc._id, doc.rev])),
  };
}

/**
 * The states a ticker document holds that its rules' trigger documents do not have yet: its
 * `stateLog` entries stamped later than their document, and states of a document written by
 * the previous version (all in the document) that no trigger document has.
 */
function statesBehind(
  doc: StoredTickerDocument,
  written: ReadonlyMap<string, TriggerDocument>,
): StateWrite[] {
  const behind: StateWrite[] = [];
  for (const [ruleId, state] of Object.entries(doc.triggers ?? {})) {
    if (!written.has(ruleId)) behind.push({ ruleId, ticker: doc._id, rev: doc.rev, state });
  }
  for (const [ruleId, state] of Object.entries(doc.stateLog ?? {})) {
    if ((written.get(ruleId)?.rev ?? -1) < doc.rev) {
      behind.push({ ruleId, ticker: doc._id, rev: doc.rev, state });
    }
  }
  return behind;
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
    const changes = effects.tickers.map((book) => ({
      book,
      rev: loaded.revs.get(book.ticker) ?? 0,
      states: book.takeStateWrites(),
    }));
    await guarded(partition, 'tickers', changes.length, () =>
      driverCollection(models.tickers).bulkWrite(
        changes.map((change) =>
          tickerUpdate(partition, change.book, change.rev, change.states, effects.alerts),
        ),
        { ordered: false },
      ),
    );
    for (const { book, rev } of changes) loaded.revs.set(book.ticker, rev + 1);
    await writeStates(
      models,
      partition,
      changes.flatMap(({ book, rev, states }) =>
        [...states].map(([ruleId, state]) => ({
          ruleId,
          ticker: book.ticker,
          rev: rev + 1,
          state,
        })),
      ),
    );
  }
  if (effects.rules.length > 0) {
    await guarded(partition, 'rules', effects.rules.length, () =>
      driverCollection(models.rules).bulkWrite(
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
  states: ReadonlyMap<string, TriggerState | null>,
  alerts: ReadonlyMap<string, readonly AlertEvent[]>,
): mongo.AnyBulkWriteOperation<TickerDocument> {
  const snapshot = ticker.snapshot();
  const update: UpdateQuery<TickerDocument> = {
    $set: {
      partition,
      lastPrice: snapshot.lastPrice,
      lastMarketTime: snapshot.lastMarketTime,
      previousClose: snapshot.previousClose,
      timeZone: snapshot.timeZone,
      signals: snapshot.signals,
      windows: packWindows(snapshot.windows),
      // Replaced at every write: the trigger documents have the previous batch's states.
      stateLog: Object.fromEntries(states),
    },
    $inc: { rev: 1 },
  };
  // The alert events continue the evaluation's trace (quote → alert → email).
  const withAlerts = withOutbox(update, alerts.get(ticker.ticker) ?? [], currentTraceContext());
  return {
    updateOne: {
      filter: { _id: ticker.ticker, rev },
      update: rev === 0 ? withOutboxListsOnInsert(withAlerts) : withAlerts,
      // A ticker never written has rev 0: the upsert creates it, or fails on the duplicate
      // _id if another replica created it meanwhile.
      upsert: rev === 0,
    },
  };
}

/** Writes trigger documents, each only over an older stamp (a newer one: StalePartitionError). */
async function writeStates(
  models: AlerterModels,
  partition: number,
  writes: readonly StateWrite[],
): Promise<void> {
  if (writes.length === 0) return;
  await guarded(partition, 'triggers', writes.length, () =>
    driverCollection(models.triggers).bulkWrite(
      writes.map(({ ruleId, ticker, rev, state }) => ({
        updateOne: {
          // Over an older stamp only: with a newer one, the upsert fails on the duplicate _id.
          filter: { _id: ruleId, rev: { $lt: rev } },
          update: { $set: { partition, ticker, rev, state } },
          upsert: true,
        },
      })),
      { ordered: false },
    ),
  );
}

function ruleUpsert(partition: number, copy: RuleCopy): mongo.AnyBulkWriteOperation<RuleDocument> {
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
