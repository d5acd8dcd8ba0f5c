import { expect } from 'chai';
import type { SourceQuote } from '../../quotes/source.ts';
import { createSimulatedSource, type SimulatedMarketOptions } from './simulated-source.ts';

const signal = new AbortController().signal;
const OPEN = Date.parse('2026-10-02T14:00:00Z'); // Friday, NYSE and LSE in session

function market(options: Partial<SimulatedMarketOptions> = {}) {
  let now = options.start ?? OPEN;
  const source = createSimulatedSource({
    seed: 42,
    speed: 60,
    hours: 'exchange',
    start: now,
    clock: () => now,
    ...options,
  });
  return {
    source,
    at: async (instant: number, ...tickers: string[]): Promise<SourceQuote[]> => {
      now = instant;
      return [...(await source.fetchBatch(tickers, signal)).quotes];
    },
  };
}

/** Prices of `tickers` every 15 s for `minutes`. */
async function path(
  options: Partial<SimulatedMarketOptions>,
  minutes: number,
  ...tickers: string[]
) {
  const { at } = market(options);
  const prices: number[] = [];
  for (let step = 0; step <= minutes * 4; step++) {
    for (const quote of await at(OPEN + step * 15_000, ...tickers))
      prices.push(quote.price ?? Number.NaN);
  }
  return prices;
}

describe('simulated market', () => {
  it('starts every ticker at its base price, with the listing of its exchange', async () => {
    const quotes = await market().at(OPEN, 'AAPL', 'VOD.L', 'BTC-USD', 'EURUSD=X', 'ACME');
    expect(
      quotes.map((quote) => [quote.ticker, quote.price, quote.currency, quote.exchange]),
    ).to.deep.equal([
      ['AAPL', 230, 'USD', 'NMS'],
      ['VOD.L', 72, 'GBp', 'LSE'],
      ['BTC-USD', 85_000, 'USD', 'CCC'],
      ['EURUSD=X', 1.12, 'USD', 'CCY'],
      ['ACME', quotes[4]?.price, 'USD', 'NMS'],
    ]);
    expect(quotes[4]?.price).to.be.within(10, 500);
    expect(quotes.every((quote) => quote.marketTime?.getTime() === OPEN)).to.equal(true);
  });

  it('is deterministic: the same seed gives the same path however often it is polled', async () => {
    const everyFifteenSeconds = await path({}, 10, 'AAPL', 'VOD.L');
    const again = await path({}, 10, 'AAPL', 'VOD.L');
    expect(again).to.deep.equal(everyFifteenSeconds);
    // Polled only at the end, the walk arrives at the same price.
    const [late] = await market().at(OPEN + 10 * 60_000, 'AAPL');
    expect(late?.price).to.equal(everyFifteenSeconds.at(-2));
    expect(await path({ seed: 7 }, 10, 'AAPL', 'VOD.L')).not.to.deep.equal(everyFifteenSeconds);
  });

  it('moves like its instrument: AAPL about 28 % a year, faster with speed', async () => {
    const returns = (prices: number[]) =>
      prices.slice(1).map((price, index) => Math.log(price / (prices[index] ?? price)));
    const stdev = (values: number[]) => {
      const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
      return Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length);
    };
    // 15-second steps at speed 60 are 15 market minutes: 28 % × √(15 / (252 × 390)) ≈ 0.35 %.
    const perStep = stdev(returns(await path({ speed: 60 }, 60, 'AAPL')));
    expect(perStep).to.be.within(0.0025, 0.005);
    const slow = stdev(returns(await path({ speed: 1 }, 60, 'AAPL')));
    expect(slow).to.be.within(perStep / 12, perStep / 5); // √60 ≈ 7.7 times calmer
  });

  it('trades only in session: after the close the price and market time stand still', async () => {
    const { at } = market({ start: Date.parse('2026-10-02T19:58:00Z') });
    const [beforeClose] = await at(Date.parse('2026-10-02T19:59:30Z'), 'AAPL');
    expect(beforeClose?.marketState).to.equal('REGULAR');
    const [afterClose] = await at(Date.parse('2026-10-02T20:30:00Z'), 'AAPL');
    const [evening] = await at(Date.parse('2026-10-02T23:30:00Z'), 'AAPL');
    expect(afterClose?.marketState).to.equal('POST');
    expect(evening?.marketState).to.equal('POST');
    expect(afterClose?.marketTime?.toISOString()).to.equal('2026-10-02T19:59:59.000Z');
    expect(evening?.price).to.equal(afterClose?.price);
    expect(evening?.marketTime?.getTime()).to.equal(afterClose?.marketTime?.getTime());
    const [saturday] = await at(Date.parse('2026-10-03T15:00:00Z'), 'AAPL');
    expect(saturday?.marketState).to.equal('CLOSED');
    expect(saturday?.previousClose).to.equal(afterClose?.price);
  });

  it('trades around the clock with hours "always"', async () => {
    const saturday = Date.parse('2026-10-03T15:00:00Z');
    const { at } = market({ hours: 'always', start: saturday });
    const [later] = await at(saturday + 60_000, 'AAPL');
    expect(later?.marketState).to.equal('REGULAR');
    expect(later?.marketTime?.getTime()).to.equal(saturday + 60_000);
    expect(later?.price).not.to.equal(230);
  });
});
