/**
 * Trading days in the exchange's zone, across daylight-saving changes, and ONCE_PER_DAY on
 * them: the day boundary is the exchange's midnight (or its first minute when midnight does not
 * exist), never UTC's and never "24 hours later".
 */
import { expect } from 'chai';
import { TickerBook } from './ticker-book.ts';
import { makeRule } from './testing.ts';
import { startOfNextTradingDay, tradingDay } from './trading-day.ts';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

describe('alerter trading days (exchange time zone, DST-safe)', () => {
  it('dates a quote on the exchange’s clock, not UTC’s', () => {
    // 21:00 in New York (EDT) is already the next day in UTC.
    expect(tradingDay(at('2026-10-06T01:00:00Z'), 'America/New_York')).to.equal('2026-10-05');
    expect(tradingDay(at('2026-10-06T01:00:00Z'), 'Europe/London')).to.equal('2026-10-06');
    expect(tradingDay(at('2026-10-05T23:30:00Z'), 'Asia/Tokyo')).to.equal('2026-10-06');
  });

  const boundaries: [string, string, string, string][] = [
    [
      'an ordinary day in New York (EDT, UTC-4)',
      '2026-10-05T15:00:00Z',
      'America/New_York',
      '2026-10-06T04:00:00.000Z',
    ],
    [
      'the day before spring forward in New York ends at 05:00 UTC (EST)',
      '2026-03-07T20:00:00Z',
      'America/New_York',
      '2026-03-08T05:00:00.000Z',
    ],
    [
      'spring forward day in New York lasts 23 hours',
      '2026-03-08T05:00:00Z',
      'America/New_York',
      '2026-03-09T04:00:00.000Z',
    ],
    [
      'fall back day in New York lasts 25 hours',
      '2026-11-01T04:00:00Z',
      'America/New_York',
      '2026-11-02T05:00:00.000Z',
    ],
    [
      'London on the day clocks go back',
      '2026-10-25T12:00:00Z',
      'Europe/London',
      '2026-10-26T00:00:00.000Z',
    ],
    [
      'Santiago when midnight does not exist starts the day at 01:00',
      '2026-09-05T15:00:00Z',
      'America/Santiago',
      '2026-09-06T04:00:00.000Z',
    ],
    ['Kathmandu (UTC+5:45)', '2026-10-05T12:00:00Z', 'Asia/Kathmandu', '2026-10-05T18:15:00.000Z'],
  ];
  for (const [name, instant, zone, expected] of boundaries) {
    it(`next trading day: ${name}`, () => {
      const next = startOfNextTradingDay(at(instant), zone);
      expect(iso(next)).to.equal(expected);
      expect(tradingDay(next, zone)).to.not.equal(tradingDay(at(instant), zone));
      expect(tradingDay(next - 60_000, zone)).to.equal(tradingDay(at(instant), zone));
    });
  }

  /** Firings of an ONCE_PER_DAY ABOVE 100 rule for quotes at these instants, all above 100. */
  function firesAt(zone: string, instants: string[]): string[] {
    const book = new TickerBook('X');
    book.addRule(
      makeRule({ type: 'ABOVE', threshold: 100 }, { frequency: 'ONCE_PER_DAY' }),
      undefined,
      0,
    );
    return instants.flatMap((instant, i) =>
      book
        .applyTick(
          { price: 101 + i, marketTime: at(instant), previousClose: null, timeZone: zone },
          0,
        )
        .firings.map(() => instant),
    );
  }

  it('ONCE_PER_DAY: two quotes on one New York evening are one day though UTC’s date changes', () => {
    expect(
      firesAt('America/New_York', [
        '2026-10-05T23:00:00Z',
        '2026-10-06T01:00:00Z',
        '2026-10-06T03:59:00Z',
        '2026-10-06T04:00:00Z',
      ]),
    ).to.deep.equal(['2026-10-05T23:00:00Z', '2026-10-06T04:00:00Z']);
  });

  it('ONCE_PER_DAY across spring forward and fall back in New York', () => {
    expect(
      firesAt('America/New_York', [
        '2026-03-08T04:59:00Z', // Mar 7, 23:59 EST
        '2026-03-08T05:00:00Z', // Mar 8, 00:00 EST: a new day
        '2026-03-09T03:59:00Z', // Mar 8, 23:59 EDT: same (23-hour) day
        '2026-03-09T04:00:00Z', // Mar 9, 00:00 EDT
        '2026-11-01T03:59:00Z', // Oct 31, 23:59 EDT
        '2026-11-01T04:00:00Z', // Nov 1, 00:00 EDT
        '2026-11-02T04:30:00Z', // Nov 1, 23:30 EST: same (25-hour) day
        '2026-11-02T05:00:00Z', // Nov 2, 00:00 EST
      ]),
    ).to.deep.equal([
      '2026-03-08T04:59:00Z',
      '2026-03-08T05:00:00Z',
      '2026-03-09T04:00:00Z',
      '2026-11-01T03:59:00Z',
      '2026-11-01T04:00:00Z',
      '2026-11-02T05:00:00Z',
    ]);
  });

  it('ONCE_PER_DAY in a zone east of UTC (Tokyo)', () => {
    expect(
      firesAt('Asia/Tokyo', [
        '2026-10-05T14:00:00Z',
        '2026-10-05T14:59:00Z',
        '2026-10-05T15:00:00Z',
      ]),
    ).to.deep.equal(['2026-10-05T14:00:00Z', '2026-10-05T15:00:00Z']);
  });
});
