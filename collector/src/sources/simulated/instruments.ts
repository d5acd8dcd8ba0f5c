/**
 * What the simulated market trades: a table of well-known tickers with plausible prices and
 * yearly volatilities (illustrative levels, not live data), and for any other ticker an
 * instrument derived from the ticker itself (its suffix picks the exchange and currency, a hash
 * the price and volatility), so every ticker a user types gets a stable, believable price.
 */
import { stableHash32 } from '@tickwatch/contracts';

export interface Instrument {
  readonly ticker: string;
  /** Price at the start of a run, in the currency below (pence for GBp). */
  readonly basePrice: number;
  /** Annualised volatility (0.3 = 30 %). */
  readonly volatility: number;
  /** Yahoo exchange code: decides the calendar (market/calendar.ts). */
  readonly exchange: string;
  readonly exchangeTimeZone: string;
  /** As Yahoo reports it: LSE shares in GBp (pence). */
  readonly currency: string;
  readonly delayMinutes: number;
}

type Listing = Omit<Instrument, 'ticker' | 'basePrice' | 'volatility'>;

const NASDAQ: Listing = {
  exchange: 'NMS',
  exchangeTimeZone: 'America/New_York',
  currency: 'USD',
  delayMinutes: 0,
};
const NYSE: Listing = { ...NASDAQ, exchange: 'NYQ' };
const LSE: Listing = {
  exchange: 'LSE',
  exchangeTimeZone: 'Europe/London',
  currency: 'GBp',
  delayMinutes: 15,
};
const XETRA: Listing = {
  exchange: 'GER',
  exchangeTimeZone: 'Europe/Berlin',
  currency: 'EUR',
  delayMinutes: 15,
};
const TOKYO: Listing = {
  exchange: 'JPX',
  exchangeTimeZone: 'Asia/Tokyo',
  currency: 'JPY',
  delayMinutes: 20,
};
const CRYPTO: Listing = {
  exchange: 'CCC',
  exchangeTimeZone: 'UTC',
  currency: 'USD',
  delayMinutes: 0,
};
const FX: Listing = {
  exchange: 'CCY',
  exchangeTimeZone: 'Europe/London',
  currency: 'USD',
  delayMinutes: 0,
};

const listed = (ticker: string, basePrice: number, volatility: number, listing: Listing) => ({
  ticker,
  basePrice,
  volatility,
  ...listing,
});

/** Start prices and volatilities of the demo market (README "Collector" lists them). */
export const INSTRUMENTS: readonly Instrument[] = [
  listed('AAPL', 230, 0.28, NASDAQ),
  listed('MSFT', 420, 0.25, NASDAQ),
  listed('NVDA', 130, 0.5, NASDAQ),
  listed('GOOGL', 170, 0.3, NASDAQ),
  listed('AMZN', 190, 0.32, NASDAQ),
  listed('META', 560, 0.38, NASDAQ),
  listed('TSLA', 250, 0.6, NASDAQ),
  listed('BRK-B', 450, 0.18, NYSE),
  listed('JPM', 220, 0.22, NYSE),
  listed('KO', 62, 0.15, NYSE),
  listed('VOD.L', 72, 0.25, LSE),
  listed('HSBA.L', 700, 0.22, LSE),
  listed('BP.L', 420, 0.28, LSE),
  listed('VWRL.L', 140, 0.14, { ...LSE, currency: 'GBP' }),
  listed('SAP.DE', 200, 0.27, XETRA),
  listed('7203.T', 2800, 0.3, TOKYO),
  listed('BTC-USD', 85_000, 0.55, CRYPTO),
  listed('ETH-USD', 3_200, 0.7, CRYPTO),
  listed('EURUSD=X', 1.12, 0.07, FX),
  listed('GBPUSD=X', 1.3, 0.08, { ...FX, currency: 'USD' }),
];

const BY_TICKER = new Map(INSTRUMENTS.map((instrument) => [instrument.ticker, instrument]));

/** The listing a ticker's form suggests: `.L` London, `.DE` XETRA, `.T` Tokyo, `-USD` crypto, `=X` FX. */
function listingOf(ticker: string): Listing {
  if (ticker.endsWith('.L')) return LSE;
  if (ticker.endsWith('.DE')) return XETRA;
  if (ticker.endsWith('.T')) return TOKYO;
  if (ticker.endsWith('-USD')) return CRYPTO;
  if (ticker.endsWith('=X')) return FX;
  return NASDAQ;
}

export function instrumentOf(ticker: string): Instrument {
  const known = BY_TICKER.get(ticker);
  if (known) return known;
  const hash = stableHash32(ticker);
  const listing = listingOf(ticker);
  const scale = listing === FX ? 0.01 : listing === CRYPTO ? 10 : 1;
  return {
    ticker,
    // 10.00 to 499.99 (FX 0.10 to 5.00, crypto 100 to 5,000), 20 % to 60 % volatility.
    basePrice: (Math.round(1_000 + (hash % 49_000)) / 100) * scale,
    volatility: listing === FX ? 0.08 : 0.2 + ((hash >>> 16) % 41) / 100,
    ...listing,
  };
}
