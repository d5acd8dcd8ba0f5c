import { expect } from 'chai';
import { createLogger } from '@tickwatch/infra/log';
import { createYahooSource } from '../sources/yahoo/yahoo-source.ts';
import { createYahooReplay } from '../../test/yahoo-replay.ts';
import { judgeQuote, type HygieneOptions, type PriceData, type PublishedQuote } from './hygiene.ts';
import type { SourceQuote } from './source.ts';

const options: HygieneOptions = { jumpThresholdPercent: 25, jumpWindowMs: 5 * 60_000 };
const T0 = Date.parse('2026-10-02T14:30:00Z');

function quote(
  price: number | undefined,
  secondsAfterT0: number,
  extra: Partial<SourceQuote> = {},
): SourceQuote {
  return {
    ticker: 'AAPL',
    price,
    currency: 'USD',
    exchange: 'NMS',
    exchangeTimeZone: 'America/New_York',
    marketState: 'REGULAR',
    marketTime: new Date(T0 + secondsAfterT0 * 1_000),
    delayMinutes: 0,
    previousClose: 200,
    dayLow: 199,
    dayHigh: 201,
    volume: 1_000,
    ...extra,
  };
}

const published = (price: number, secondsAfterT0 = 0): PublishedQuote => ({
  price,
  marketTime: T0 + secondsAfterT0 * 1_000,
});

const judge = (q: SourceQuote, last?: PublishedQuote, held?: PriceData) =>
  judgeQuote(q, last, held, 'yahoo', options);

/** Yahoo's recorded answers, through the real yahoo-finance2 (which parses the wire format). */
async function recorded(...tickers: string[]): Promise<SourceQuote[]> {
  const replay = createYahooReplay();
  replay.serve('quote-OCDO.L.2026-05-29-regular.json');
  const source = createYahooSource({
    fetch: replay.fetch,
    requestsPerMinute: 60,
    backoff: { initialMs: 1_000, maxMs: 60_000 },
    logger: createLogger({ name: 'test', level: 'silent' }),
  });
  return [...(await source.fetchBatch(tickers, new AbortController().signal)).quotes];
}

describe('quote hygiene', () => {
  it("turns Yahoo's regularMarketTime (epoch seconds on the wire) into the right ISO instant", async () => {
    const [aapl] = await recorded('AAPL');
    const verdict = judge(aapl!);
    expect(verdict.kind).to.equal('publish');
    // 1790971201 s = 2026-10-02T20:00:01Z, the NYSE close (16:00:01 EDT), not 1970 nor 58,000 AD.
    expect(verdict.kind === 'publish' && verdict.data.marketTime).to.equal(
      '2026-10-02T20:00:01.000Z',
    );
    expect(verdict.kind === 'publish' && verdict.data).to.include({
      price: 333.69,
      currency: 'USD',
      marketState: 'CLOSED',
      delayMinutes: 0,
      source: 'yahoo',
    });
  });

  it('turns GBp pence into GBP pounds (every price of the quote) and leaves GBP alone', async () => {
    const [ocdo, vwrl] = await recorded('OCDO.L', 'VWRL.L');
    const pence = judge(ocdo!);
    expect(pence.kind === 'publish' && pence.data).to.deep.include({
      price: 2.364,
      currency: 'GBP',
      previousClose: 2.082,
      dayLow: 2.226,
      dayHigh: 2.4,
      marketState: 'REGULAR',
      delayMinutes: 15,
      marketTime: '2026-05-29T10:04:23.000Z',
    });
    const pounds = judge(vwrl!);
    expect(pounds.kind === 'publish' && pounds.data).to.include({ price: 140.68, currency: 'GBP' });
  });

  it('converts ZAc and ILA minor units as well', () => {
    const rand = judge(quote(12_345, 0, { currency: 'ZAc' }));
    expect(rand.kind === 'publish' && rand.data).to.include({ price: 123.45, currency: 'ZAR' });
    const shekel = judge(quote(1_500, 0, { currency: 'ILA' }));
    expect(shekel.kind === 'publish' && shekel.data).to.include({ price: 15, currency: 'ILS' });
  });

  it('rejects missing, NaN, zero and negative prices, missing times and unusable currencies', () => {
    expect(judge(quote(undefined, 0))).to.deep.equal({ kind: 'rejected', reason: 'missing-price' });
    expect(judge(quote(Number.NaN, 0))).to.deep.equal({
      kind: 'rejected',
      reason: 'invalid-price',
    });
    expect(judge(quote(0, 0))).to.deep.equal({ kind: 'rejected', reason: 'invalid-price' });
    expect(judge(quote(-3, 0))).to.deep.equal({ kind: 'rejected', reason: 'invalid-price' });
    expect(judge(quote(Infinity, 0))).to.deep.equal({ kind: 'rejected', reason: 'invalid-price' });
    expect(judge(quote(10, 0, { marketTime: undefined }))).to.deep.equal({
      kind: 'rejected',
      reason: 'missing-time',
    });
    expect(judge(quote(10, 0, { currency: 'usd' }))).to.deep.equal({
      kind: 'rejected',
      reason: 'invalid-currency',
    });
    expect(judge(quote(10, 0, { currency: undefined }))).to.deep.equal({
      kind: 'rejected',
      reason: 'invalid-currency',
    });
  });

  it('publishes only when the market time advanced: same time is a duplicate, older is stale', () => {
    const last = published(200, 60);
    expect(judge(quote(201, 60), last).kind).to.equal('duplicate');
    expect(judge(quote(201, 30), last).kind).to.equal('stale');
    expect(judge(quote(201, 61), last).kind).to.equal('publish');
  });

  it('nulls unusable optional fields instead of rejecting the quote', () => {
    const verdict = judge(
      quote(10, 0, { previousClose: 0, dayLow: Number.NaN, dayHigh: undefined, volume: -1 }),
    );
    expect(verdict.kind === 'publish' && verdict.data).to.include({
      previousClose: null,
      dayLow: null,
      dayHigh: null,
      volume: null,
    });
  });

  describe('implausible jumps', () => {
    it('holds a jump of more than the threshold within the window, and publishes it once confirmed', () => {
      const last = published(200, 0);
      const first = judge(quote(300, 30), last);
      expect(first.kind).to.equal('held');
      const held = first.kind === 'held' ? first.data : undefined;
      // The same market time again is still only a duplicate of the held quote.
      expect(judge(quote(300, 30), last, held).kind).to.equal('duplicate');
      const confirmed = judge(quote(305, 45), last, held);
      expect(confirmed.kind === 'publish' && confirmed.data.price).to.equal(305);
    });

    it('drops a spike: the next quote back near the last price is published, the held one never', () => {
      const last = published(200, 0);
      const spike = judge(quote(20, 30), last);
      expect(spike.kind).to.equal('held');
      const next = judge(quote(201, 45), last, spike.kind === 'held' ? spike.data : undefined);
      expect(next.kind === 'publish' && next.data.price).to.equal(201);
    });

    it('holds a second, different jump instead of the first', () => {
      const last = published(200, 0);
      const first = judge(quote(300, 30), last);
      const second = judge(quote(100, 45), last, first.kind === 'held' ? first.data : undefined);
      expect(second.kind === 'held' && second.data.price).to.equal(100);
    });

    it('lets a big move through when the last price is older than the window (an overnight gap)', () => {
      const last = published(200, 0);
      expect(judge(quote(300, 6 * 60), last).kind).to.equal('publish');
    });

    it('lets a move within the threshold through', () => {
      expect(judge(quote(249, 30), published(200, 0)).kind).to.equal('publish');
      expect(judge(quote(151, 30), published(200, 0)).kind).to.equal('publish');
    });
  });
});
