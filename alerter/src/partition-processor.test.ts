/**
 * The partition processor against MongoDB over the wire (no broker: the batches are handed to
 * it as the messaging layer would): one round of writes per batch whatever its tickers, only
 * the trigger states that changed written, and a crash between the ticker documents' write and
 * the trigger documents' or the rule copies' write.
 */
import {
  derivedEventId,
  EventType,
  type Event,
  type Rule,
  type TickwatchEvent,
} from '@tickwatch/contracts';
import { createLogger } from '@tickwatch/infra/log';
import { describeOnMongoTargets } from '@tickwatch/infra/messaging/testing';
import { expect } from 'chai';
import mongoose from 'mongoose';
import { makeRule } from './domain/testing.ts';
import { createPartitionProcessor, type PartitionProcessor } from './partition-processor.ts';
import { alerterModels, initAlerterModels, type AlerterModels } from './store/models.ts';
import { quote, ruleEvent, tickersOf } from './testing/fixtures.ts';

const logger = createLogger({ name: 'processor-test', level: 'silent' });
const PARTITION = 5;
type AlertEvent = Event<typeof EventType.alertTriggered>;
type AveragesEvent = Event<typeof EventType.averagesUpdated>;

describeOnMongoTargets('alerter partition processor (MongoDB over the wire)', (target) => {
  let connection: mongoose.Connection;
  let models: AlerterModels;
  /** Write commands the driver sent, as `<command> <collection>`. */
  const writes: string[] = [];
  let prefixCount = 0;
  /** Fresh tickers of PARTITION per test. */
  const newTickers = (count: number) => tickersOf(PARTITION, count, `P${++prefixCount}X`);

  before(async () => {
    connection = await mongoose
      .createConnection(target.uri(), { dbName: target.dbName, monitorCommands: true })
      .asPromise();
    connection.getClient().on('commandStarted', (event) => {
      if (['insert', 'update', 'delete'].includes(event.commandName)) {
        writes.push(`${event.commandName} ${String(event.command[event.commandName])}`);
      }
    });
    models = alerterModels(connection);
    await initAlerterModels(models);
  });
  after(() => connection.close());

  /** A processor as a fresh process would have it: nothing in memory. */
  const processor = (
    using: AlerterModels = models,
    publish: (events: readonly TickwatchEvent[]) => Promise<void> = () => Promise.resolve(),
  ): PartitionProcessor =>
    createPartitionProcessor({ models: using, logger, publish, alertsWritten: () => undefined });

  /** The alerts written to a ticker's outbox (no relay runs here), as `v<version>#<sequence>@<price>`. */
  async function outbox(ticker: string): Promise<string[]> {
    const doc = await models.tickers.findById(ticker).lean();
    return (doc?.pendingEvents ?? []).map((entry) => {
      const { data } = entry.event as AlertEvent;
      return `v${data.ruleVersion}#${data.sequence}@${data.price}`;
    });
  }

  it('writes a batch with one bulkWrite per collection, however many tickers it touched, and only the trigger states that changed', async () => {
    const tickers = newTickers(12);
    const rules = tickers.map((ticker) => makeRule({ type: 'ABOVE', threshold: 100 }, { ticker }));
    const partition = processor();
    const created = rules.map((rule) => ruleEvent('created', rule));
    writes.length = 0;
    await partition.process(PARTITION, created);
    expect(writes).to.deep.equal(['update tickers', 'update triggers', 'update rules']);

    // Three quotes per ticker, interleaved: the middle one crosses 100 everywhere.
    const quotes: TickwatchEvent[] = [];
    for (const [minute, price] of [95, 101, 102].entries()) {
      for (const ticker of tickers) quotes.push(quote(ticker, price, minute));
    }
    writes.length = 0;
    const report = await partition.process(PARTITION, quotes);
    expect(writes).to.deep.equal(['update tickers', 'update triggers']);
    expect(report).to.include({ quotes: 36, staleQuotes: 0, alerts: 12 });
    for (const ticker of tickers) expect(await outbox(ticker)).to.deep.equal(['v1#1@101']);
    const [rule] = rules;
    const fired = await models.triggers.findById(rule?.id).lean();
    expect(fired?.state).to.include({ sequence: 1, upperArmed: false });

    // Still above, disarmed: no state changes, so the ticker documents are the only write.
    writes.length = 0;
    await partition.process(
      PARTITION,
      tickers.map((ticker) => quote(ticker, 103, 3)),
    );
    expect(writes).to.deep.equal(['update tickers']);
    const doc = await models.tickers.findById(tickers[0]).lean();
    expect(doc).to.include({ lastPrice: 103, rev: 3 });
    expect(doc?.stateLog).to.deep.equal({});
    expect(await models.triggers.findById(rule?.id).lean()).to.include({ rev: 2 });
  });

  it('publishes the newest average of each ticker and warm window of a batch, in one averages.updated', async () => {
    const tickers = newTickers(2);
    // Quotes a minute apart at 100, 101, ... 111: by minute 11 the 5 and 10-minute windows are
    // warm (minute 5 and 10 on), the 15-minute one is not.
    const quotes = Array.from({ length: 12 }, (_, minute) =>
      tickers.map((ticker) => quote(ticker, 100 + minute, minute)),
    ).flat();
    const published: TickwatchEvent[] = [];
    const report = await processor(models, (events) => {
      published.push(...events);
      return Promise.resolve();
    }).process(PARTITION, quotes);

    expect(report.averages).to.equal(4);
    expect(published).to.have.length(1);
    const [event] = published as AveragesEvent[];
    const marketTime = quote(tickers[0] ?? '', 111, 11).data.marketTime;
    for (const ticker of tickers) {
      // Minutes 7-11 (previous: 6-10), and 2-11 (previous: 1-10).
      expect(event?.data.averages.filter((average) => average.ticker === ticker)).to.deep.equal([
        {
          ticker,
          windowMinutes: 5,
          average: 109,
          previousAverage: 108,
          sampleCount: 5,
          marketTime,
        },
        {
          ticker,
          windowMinutes: 10,
          average: 106.5,
          previousAverage: 105.5,
          sampleCount: 10,
          marketTime,
        },
      ]);
    }
    // Derived from what it carries: the same batch evaluated again (a redelivery) repeats it.
    expect(event?.id).to.equal(
      derivedEventId(
        EventType.averagesUpdated,
        tickers.flatMap((ticker) => [ticker, 5, marketTime, ticker, 10, marketTime]),
      ),
    );
  });

  it('stores the windows’ samples packed, and a fresh process goes on from them (or from samples stored as arrays) with averages bit-exact', async () => {
    const [packed = '', asArrays = '', reference = ''] = newTickers(3);
    // Prices that are not exact in binary, so a sum rebuilt from rounded samples would differ.
    const price = (minute: number) => 100 + minute / 3;
    const quotes = (tickers: string[], minutes: number[]) =>
      minutes.flatMap((minute) => tickers.map((ticker) => quote(ticker, price(minute), minute)));
    const firstTwelve = Array.from({ length: 12 }, (_, minute) => minute);
    await processor().process(PARTITION, quotes([packed, asArrays], firstTwelve));

    const stored = await models.tickers.collection.findOne({ _id: packed } as never);
    const samples = (stored?.windows as { samples: mongoose.mongo.Binary }).samples;
    expect(samples).to.be.instanceOf(mongoose.mongo.Binary);
    expect(samples.length()).to.equal(12 * 16); // 12 quotes: [time, price] as two float64
    // What the previous version stored: every sample an array.
    const unpacked = Array.from({ length: 12 }, (_, minute) => [
      Date.parse(quote(asArrays, 1, minute).data.marketTime),
      price(minute),
    ]);
    await models.tickers.collection.updateOne({ _id: asArrays } as never, {
      $set: { 'windows.samples': unpacked },
    });

    // The thirteenth quote: the two stored tickers in a fresh process (windows read back), the
    // reference with all thirteen in one batch (windows in memory only).
    const published: AveragesEvent['data']['averages'] = [];
    const collect = (events: readonly TickwatchEvent[]) => {
      for (const event of events) published.push(...(event as AveragesEvent).data.averages);
      return Promise.resolve();
    };
    await processor(models, collect).process(PARTITION, quotes([packed, asArrays], [12]));
    await processor(models, collect).process(PARTITION, quotes([reference], [...firstTwelve, 12]));
    const averagesOf = (ticker: string) =>
      published
        .filter((average) => average.ticker === ticker)
        .map((average) => [average.windowMinutes, average.average, average.previousAverage]);
    expect(averagesOf(reference)).to.have.length(2);
    expect(averagesOf(packed)).to.deep.equal(averagesOf(reference));
    expect(averagesOf(asArrays)).to.deep.equal(averagesOf(reference));
  });

  it('killed between the ticker documents’ write and the trigger documents’ write: loading takes the states from the log', async () => {
    const [ticker = ''] = newTickers(1);
    const rule = makeRule({ type: 'ABOVE', threshold: 100 }, { ticker });
    await processor().process(PARTITION, [
      ruleEvent('created', rule),
      quote(ticker, 95, 0),
      quote(ticker, 101, 1),
    ]);
    const crashing: AlerterModels = {
      ...models,
      triggers: {
        find: models.triggers.find.bind(models.triggers),
        collection: {
          bulkWrite: () =>
            Promise.reject(new Error('killed before the trigger states were written')),
        },
      } as unknown as AlerterModels['triggers'],
    };
    const batch = [quote(ticker, 95, 2), quote(ticker, 105, 3)];
    const crashed = await processor(crashing)
      .process(PARTITION, batch)
      .then(
        () => 'written',
        (error: unknown) => String(error),
      );
    expect(crashed).to.include('killed before the trigger states');
    expect(await models.triggers.findById(rule.id).lean()).to.nested.include({
      'state.sequence': 1,
    });

    const restarted = processor();
    const report = await restarted.process(PARTITION, batch);
    expect(report.staleQuotes).to.equal(2);
    const repaired = await models.triggers.findById(rule.id).lean();
    const tickerDoc = await models.tickers.findById(ticker).lean();
    expect(repaired).to.nested.include({ rev: tickerDoc?.rev, 'state.sequence': 2 });
    await restarted.process(PARTITION, [quote(ticker, 95, 4), quote(ticker, 107, 5)]);
    // #3: a state taken from the trigger document alone would have derived #2's id again.
    expect(await outbox(ticker)).to.deep.equal(['v1#1@101', 'v1#2@105', 'v1#3@107']);
  });

  it('loads a ticker document written by the previous version (every trigger state inside) and goes on from its states', async () => {
    const [ticker = ''] = newTickers(1);
    const rule = makeRule({ type: 'ABOVE', threshold: 100 }, { ticker });
    const fired = Date.parse(quote(ticker, 101, 1).data.marketTime);
    await models.rules.collection.insertOne({
      _id: rule.id,
      partition: PARTITION,
      ticker,
      version: rule.version,
      deleted: false,
      rule,
    } as never);
    // It fired once at 101 and waits, disarmed, for the price to go back below 100.
    await models.tickers.collection.insertOne({
      _id: ticker,
      partition: PARTITION,
      rev: 2,
      lastPrice: 101,
      lastMarketTime: fired,
      previousClose: 100,
      timeZone: 'America/New_York',
      signals: [],
      windows: null,
      triggers: {
        [rule.id]: {
          version: rule.version,
          sequence: 1,
          upperArmed: false,
          lowerArmed: true,
          lastSide: 'UPPER',
          lastFiredAt: fired,
          lastFiredDay: null,
          retired: false,
        },
      },
      pendingEvents: [],
    } as never);
    await processor().process(PARTITION, [
      quote(ticker, 102, 2),
      quote(ticker, 95, 3),
      quote(ticker, 105, 4),
    ]);
    // A fresh state would have fired #1 again (its id dropped downstream as a repeat).
    expect(await outbox(ticker)).to.deep.equal(['v1#2@105']);
    expect(await models.triggers.findById(rule.id).lean()).to.nested.include({
      'state.sequence': 2,
    });
    expect(await models.tickers.collection.findOne({ _id: ticker } as never)).not.to.have.property(
      'triggers',
    );
  });

  describe('killed between the ticker documents’ write and the rule copies’ write', () => {
    /** Rule copies cannot be written: what a crash right after the ticker write leaves. */
    const crashingBeforeRules = (): AlerterModels => ({
      ...models,
      // Loading reads through; the write fails.
      rules: {
        find: models.rules.find.bind(models.rules),
        collection: {
          bulkWrite: () => Promise.reject(new Error('killed before the rule copies were written')),
        },
      } as unknown as AlerterModels['rules'],
    });

    async function crashThenRedeliver(
      batch: readonly TickwatchEvent[],
    ): Promise<PartitionProcessor> {
      const crashed = await processor(crashingBeforeRules())
        .process(PARTITION, batch)
        .then(
          () => 'written',
          (error: unknown) => String(error),
        );
      expect(crashed).to.include('killed before the rule copies');
      const restarted = processor();
      const report = await restarted.process(PARTITION, batch);
      expect(report.staleQuotes).to.equal(report.quotes);
      return restarted;
    }

    it('a new rule goes on from the trigger state written with its first alert', async () => {
      const [ticker = ''] = newTickers(1);
      const rule = makeRule({ type: 'ABOVE', threshold: 100 }, { ticker });
      const restarted = await crashThenRedeliver([
        ruleEvent('created', rule),
        quote(ticker, 95, 0),
        quote(ticker, 105, 1),
      ]);
      expect(await outbox(ticker)).to.deep.equal(['v1#1@105']);
      await restarted.process(PARTITION, [quote(ticker, 95, 2), quote(ticker, 107, 3)]);
      // Sequence 2: a fresh state would have derived alert #1's id again (dropped downstream).
      expect(await outbox(ticker)).to.deep.equal(['v1#1@105', 'v1#2@107']);
    });

    it('an updated rule is judged by its new version, from the state written with it', async () => {
      const [ticker = ''] = newTickers(1);
      const v1 = makeRule({ type: 'ABOVE', threshold: 100 }, { ticker });
      const v2: Rule = { ...v1, version: 2, condition: { type: 'ABOVE', threshold: 200 } };
      await processor().process(PARTITION, [ruleEvent('created', v1), quote(ticker, 95, 0)]);
      const restarted = await crashThenRedeliver([
        ruleEvent('updated', v2),
        quote(ticker, 150, 1),
        quote(ticker, 210, 2),
      ]);
      await restarted.process(PARTITION, [
        quote(ticker, 150, 3),
        quote(ticker, 150, 4),
        quote(ticker, 220, 5),
      ]);
      expect(await outbox(ticker)).to.deep.equal(['v2#1@210', 'v2#2@220']);
      const copy = await models.rules.findById(v1.id).lean();
      expect(copy?.version).to.equal(2);
    });
  });
});
