import { derivedEventId, EventType, MAX_AVERAGES_PER_EVENT } from '@tickwatch/contracts';
import { expect } from 'chai';
import type { WindowAverage } from './moving-windows.ts';
import { NewestAverages } from './newest-averages.ts';

const average = (windowMinutes: 5 | 10 | 15, value: number): WindowAverage => ({
  windowMinutes,
  average: value,
  previousAverage: value - 1,
  sampleCount: 3,
});

describe('NewestAverages', () => {
  it('keeps the newest average of each ticker and window, all in one event whose id derives from them', () => {
    const newest = new NewestAverages();
    newest.add('AAPL', [average(5, 10), average(10, 20)], '2026-10-05T14:30:00.000Z');
    newest.add('MSFT', [average(5, 30)], '2026-10-05T14:30:00.000Z');
    // The 10-minute window went cold (a gap): its last warm average is still the newest.
    newest.add('AAPL', [average(5, 11)], '2026-10-05T14:31:00.000Z');
    newest.add('AAPL', [], '2026-10-05T14:32:00.000Z');

    const [event, ...more] = newest.events();
    expect(more).to.deep.equal([]);
    const averages = event?.data.averages ?? [];
    expect(
      averages.map((a) => `${a.ticker} ${a.windowMinutes} ${a.average} ${a.marketTime}`),
    ).to.deep.equal([
      'AAPL 5 11 2026-10-05T14:31:00.000Z',
      'AAPL 10 20 2026-10-05T14:30:00.000Z',
      'MSFT 5 30 2026-10-05T14:30:00.000Z',
    ]);
    expect(averages[0]?.previousAverage).to.equal(10);
    expect(event?.id).to.equal(
      derivedEventId(EventType.averagesUpdated, [
        ...['AAPL', 5, '2026-10-05T14:31:00.000Z'],
        ...['AAPL', 10, '2026-10-05T14:30:00.000Z'],
        ...['MSFT', 5, '2026-10-05T14:30:00.000Z'],
      ]),
    );
    // The newest market time it carries.
    expect(event?.time).to.equal('2026-10-05T14:31:00.000Z');
  });

  it('splits a batch that moved more averages than an event carries', () => {
    const newest = new NewestAverages();
    const tickers = Math.ceil((MAX_AVERAGES_PER_EVENT + 1) / 3);
    for (let t = 0; t < tickers; t++) {
      newest.add(
        `T${t}`,
        [average(5, 11), average(10, 12), average(15, 13)],
        '2026-10-05T14:30:00Z',
      );
    }
    const events = newest.events();
    expect(events.map((e) => e.data.averages.length)).to.deep.equal([
      MAX_AVERAGES_PER_EVENT,
      tickers * 3 - MAX_AVERAGES_PER_EVENT,
    ]);
    expect(new Set(events.map((e) => e.id)).size).to.equal(2);
  });

  it('publishes a longer window alone when the shorter ones were not warm', () => {
    const newest = new NewestAverages();
    newest.add('AAPL', [average(15, 40)], '2026-10-05T14:30:00.000Z');
    expect(newest.events()[0]?.data.averages.map((a) => a.windowMinutes)).to.deep.equal([15]);
  });

  it('has nothing to publish when no window was warm', () => {
    const newest = new NewestAverages();
    newest.add('AAPL', [], '2026-10-05T14:30:00.000Z');
    expect(newest.events()).to.deep.equal([]);
  });
});
