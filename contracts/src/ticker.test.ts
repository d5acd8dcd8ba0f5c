import { expect } from 'chai';
import { Ticker, normalizeTicker, routingWordToTicker, tickerToRoutingWord } from './ticker.ts';

describe('tickers', () => {
  const valid = [
    'AAPL',
    'BRK-B',
    'RDS.A',
    '^GSPC',
    'EURUSD=X',
    'BTC-USD',
    'OCDO.L',
    '0700.HK',
    'A',
  ];
  const invalid = [
    '',
    '   ',
    '"; drop',
    'A'.repeat(200),
    'A'.repeat(16),
    'AAPL MSFT',
    'BRK_B',
    'AAPL*',
  ];

  for (const ticker of valid) {
    it(`accepts ${ticker}, in any case`, () => {
      expect(normalizeTicker(ticker)).to.equal(ticker);
      expect(normalizeTicker(` ${ticker.toLowerCase()} `)).to.equal(ticker);
      expect(Ticker.safeParse(ticker).success).to.equal(true);
    });
  }

  for (const ticker of invalid) {
    it(`rejects ${JSON.stringify(ticker.length > 20 ? `${ticker.slice(0, 8)}…(${ticker.length})` : ticker)}`, () => {
      expect(normalizeTicker(ticker)).to.equal(null);
      expect(Ticker.safeParse(ticker).success).to.equal(false);
    });
  }

  it('accepts exactly 15 characters', () => {
    expect(normalizeTicker('A'.repeat(15))).to.equal('A'.repeat(15));
  });

  it('wire schema refuses a lower-case ticker (events carry the normalised form)', () => {
    expect(Ticker.safeParse('aapl').success).to.equal(false);
  });

  describe('routing words', () => {
    it('turns dots into underscores and back, for every valid ticker', () => {
      expect(tickerToRoutingWord('BRK.B')).to.equal('BRK_B');
      expect(tickerToRoutingWord('RDS.A')).to.equal('RDS_A');
      for (const ticker of valid) {
        const word = tickerToRoutingWord(ticker);
        expect(word).not.to.include('.');
        expect(routingWordToTicker(word)).to.equal(ticker);
      }
    });

    it('refuses to build a routing word from an invalid ticker', () => {
      expect(() => tickerToRoutingWord('a.b')).to.throw(RangeError);
      expect(() => routingWordToTicker('#')).to.throw(RangeError);
    });
  });
});
