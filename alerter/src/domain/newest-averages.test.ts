import { derivedEventId, EventType } from '@tickwatch/contracts';
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
  it('keeps the newest average of each ticker and window, with the id of the quote it came from', () => {
    const newest = new NewestAverages();
    newest.add('AAPL', [average(5, 10), average(10, 20)], '2026-10-05T14:30:00.000Z');
    newest.add('MSFT', [average(5, 30)], '2026-10-05T14:30:00.000Z');
    // The 10-minute window went cold (a gap): its last warm average is still the newest.
    newest.add('AAPL', [average(5, 11)], '2026-10-05T14:31:00.000Z');
    newest.add('AAPL', [], '2026-10-05T14:32:00.000Z');

    const events = newest.events();
    expect(
      events.map(
        (e) => `${e.data.ticker} ${e.data.windowMinutes} ${e.data.average} ${e.data.marketTime}`,
      ),
    ).to.deep.equal([
      'AAPL 5 11 2026-10-05T14:31:00.000Z',
      'AAPL 10 20 2026-10-05T14:30:00.000Z',
      'MSFT 5 30 2026-10-05T14:30:00.000Z',
    ]);
    expect(events[0]?.id).to.equal(
      derivedEventId(EventType.averageUpdated, ['AAPL', 5, '2026-10-05T14:31:00.000Z']),
    );
    expect(events[0]?.data.previousAverage).to.equal(10);
  });

  it('has nothing to publish when no window was warm', () => {
    const newest = new NewestAverages();
    newest.add('AAPL', [], '2026-10-05T14:30:00.000Z');
    expect(newest.events()).to.deep.equal([]);
  });
});
