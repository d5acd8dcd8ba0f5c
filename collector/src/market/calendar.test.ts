import { expect } from 'chai';
import { nextPollDelay } from '../poller.ts';
import { calendarOf, nextOpening } from './calendar.ts';

const at = (iso: string) => Date.parse(iso);
const nyse = calendarOf('NMS')!;
const london = calendarOf('LSE')!;

describe('exchange calendars', () => {
  it('knows the NYSE sessions in New York time, across daylight saving', () => {
    expect(nyse.stateAt(at('2026-10-02T13:29:00Z'))).to.equal('PRE'); // 09:29 EDT
    expect(nyse.stateAt(at('2026-10-02T13:30:00Z'))).to.equal('REGULAR');
    expect(nyse.stateAt(at('2026-10-02T19:59:59Z'))).to.equal('REGULAR');
    expect(nyse.stateAt(at('2026-10-02T20:00:00Z'))).to.equal('POST'); // 16:00 EDT
    expect(nyse.stateAt(at('2026-10-03T00:00:00Z'))).to.equal('CLOSED'); // 20:00 EDT
    expect(nyse.stateAt(at('2026-12-02T14:30:00Z'))).to.equal('REGULAR'); // 09:30 EST
    expect(nyse.stateAt(at('2026-12-02T13:30:00Z'))).to.equal('PRE');
  });

  it('closes on weekends and exchange holidays, and trades on holidays the exchange ignores', () => {
    expect(nyse.stateAt(at('2026-10-03T15:00:00Z'))).to.equal('CLOSED'); // Saturday
    expect(nyse.stateAt(at('2026-04-03T15:00:00Z'))).to.equal('CLOSED'); // Good Friday
    expect(nyse.stateAt(at('2026-11-26T15:00:00Z'))).to.equal('CLOSED'); // Thanksgiving
    expect(nyse.stateAt(at('2026-07-03T15:00:00Z'))).to.equal('CLOSED'); // Independence Day observed
    expect(nyse.stateAt(at('2026-10-12T15:00:00Z'))).to.equal('REGULAR'); // Columbus Day
    expect(nyse.stateAt(at('2026-11-11T15:00:00Z'))).to.equal('REGULAR'); // Veterans Day
    expect(london.stateAt(at('2026-08-31T10:00:00Z'))).to.equal('CLOSED'); // summer bank holiday
    expect(london.stateAt(at('2026-12-28T10:00:00Z'))).to.equal('CLOSED'); // Boxing Day substitute
    expect(london.stateAt(at('2026-10-12T10:00:00Z'))).to.equal('REGULAR');
    expect(calendarOf('GER')!.stateAt(at('2026-10-05T10:00:00Z'))).to.equal('REGULAR');
    expect(calendarOf('GER')!.stateAt(at('2026-05-14T10:00:00Z'))).to.equal('REGULAR'); // Ascension
  });

  it('trades crypto around the clock and currencies from Sunday to Friday 17:00 New York', () => {
    expect(calendarOf('CCC')!.stateAt(at('2026-10-03T03:00:00Z'))).to.equal('REGULAR');
    const fx = calendarOf('CCY')!;
    expect(fx.stateAt(at('2026-10-02T20:59:00Z'))).to.equal('REGULAR'); // Fri 16:59 EDT
    expect(fx.stateAt(at('2026-10-02T21:00:00Z'))).to.equal('CLOSED');
    expect(fx.stateAt(at('2026-10-04T20:59:00Z'))).to.equal('CLOSED'); // Sun 16:59
    expect(fx.stateAt(at('2026-10-04T21:00:00Z'))).to.equal('REGULAR');
  });

  it('finds the next opening within a horizon', () => {
    expect(nextOpening(nyse, at('2026-10-03T12:00:00Z'), 3 * 86_400_000)).to.equal(
      at('2026-10-05T08:00:00Z'),
    );
    expect(nextOpening(nyse, at('2026-10-03T12:00:00Z'), 3_600_000)).to.equal(undefined);
    expect(calendarOf('NOPE')).to.equal(undefined);
  });
});

describe('poll interval from the calendars', () => {
  const settings = {
    pollIntervalMs: 15_000,
    pollIntervalClosedMs: 300_000,
    followsCalendars: true,
  };
  const exchanges: Record<string, string> = { AAPL: 'NMS', 'VOD.L': 'LSE', 'BTC-USD': 'CCC' };
  const exchangeOf = (ticker: string) => exchanges[ticker];

  it('polls at the normal interval while any watched exchange is open', () => {
    expect(
      nextPollDelay(['AAPL', 'VOD.L'], exchangeOf, at('2026-10-02T15:00:00Z'), settings),
    ).to.equal(15_000);
    expect(
      nextPollDelay(['AAPL', 'BTC-USD'], exchangeOf, at('2026-10-03T15:00:00Z'), settings),
    ).to.equal(15_000);
  });

  it('slows down when every watched exchange is closed, waking in time for the next opening', () => {
    expect(
      nextPollDelay(['AAPL', 'VOD.L'], exchangeOf, at('2026-10-03T15:00:00Z'), settings),
    ).to.equal(300_000);
    // Monday 06:48 UTC: London's pre-open starts at 07:50 BST (06:50 UTC), two minutes later.
    expect(nextPollDelay(['VOD.L'], exchangeOf, at('2026-10-05T06:48:00Z'), settings)).to.equal(
      120_000,
    );
  });

  it('polls normally for a ticker whose exchange it does not know yet, or when the source ignores hours', () => {
    expect(
      nextPollDelay(['AAPL', 'NEW'], exchangeOf, at('2026-10-03T15:00:00Z'), settings),
    ).to.equal(15_000);
    expect(
      nextPollDelay(['AAPL'], exchangeOf, at('2026-10-03T15:00:00Z'), {
        ...settings,
        followsCalendars: false,
      }),
    ).to.equal(15_000);
  });
});
