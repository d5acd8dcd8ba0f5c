import { localTime } from '@tickwatch/infra/time';
import { expect } from 'chai';
import { quietHoursEnd } from './quiet-hours.ts';

const at = (iso: string) => Date.parse(iso);
const endOf = (iso: string, start: string, end: string, zone: string) =>
  quietHoursEnd(at(iso), { start, end }, zone)?.toISOString() ?? null;

/** The answer by brute force: the first minute after `now` whose clock is outside the hours. */
function scanned(now: number, start: string, end: string, zone: string): string | null {
  const minutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3));
  const [s, e] = [minutes(start), minutes(end)];
  const quiet = (instant: number) => {
    const m = localTime(instant, zone).minutes;
    return s < e ? m >= s && m < e : m >= s || m < e;
  };
  if (!quiet(now)) return null;
  let instant = Math.floor(now / 60_000) * 60_000 + 60_000;
  while (quiet(instant)) instant += 60_000;
  return new Date(instant).toISOString();
}

describe('quiet hours', () => {
  it('is not quiet outside the hours, nor without quiet hours', () => {
    expect(endOf('2026-12-01T12:00:00Z', '22:00', '07:00', 'Europe/London')).to.equal(null);
    expect(endOf('2026-12-01T07:00:00Z', '22:00', '07:00', 'Europe/London')).to.equal(null);
    expect(quietHoursEnd(at('2026-12-01T23:00:00Z'), null, 'Europe/London')).to.equal(null);
  });

  it('ends at `end` on the user’s clock, across midnight or within one day', () => {
    expect(endOf('2026-12-01T22:00:00Z', '22:00', '07:00', 'Europe/London')).to.equal(
      '2026-12-02T07:00:00.000Z',
    );
    expect(endOf('2026-12-02T06:59:59Z', '22:00', '07:00', 'Europe/London')).to.equal(
      '2026-12-02T07:00:00.000Z',
    );
    // 23:30 in Tokyo is 14:30 UTC; 07:00 there is 22:00 UTC.
    expect(endOf('2026-12-01T14:30:00Z', '22:00', '07:00', 'Asia/Tokyo')).to.equal(
      '2026-12-01T22:00:00.000Z',
    );
    expect(endOf('2026-12-01T13:15:00Z', '12:00', '14:00', 'UTC')).to.equal(
      '2026-12-01T14:00:00.000Z',
    );
  });

  it('follows the clock over daylight saving changes', () => {
    // London springs forward at 01:00 UTC on 28 March 2027: the night is an hour shorter.
    expect(endOf('2027-03-27T23:00:00Z', '22:00', '07:00', 'Europe/London')).to.equal(
      '2027-03-28T06:00:00.000Z',
    );
    // ... and falls back at 01:00 UTC on 31 October 2027: an hour longer.
    expect(endOf('2027-10-30T22:00:00Z', '22:00', '07:00', 'Europe/London')).to.equal(
      '2027-10-31T07:00:00.000Z',
    );
    // An end the clock skips (01:30 does not exist that night) ends them when it jumps past.
    expect(endOf('2027-03-27T23:00:00Z', '22:00', '01:30', 'Europe/London')).to.equal(
      '2027-03-28T01:00:00.000Z',
    );
    // An end the clock shows twice (01:30 BST, then 01:30 GMT) ends them the first time.
    expect(endOf('2027-10-30T22:00:00Z', '22:00', '01:30', 'Europe/London')).to.equal(
      '2027-10-31T00:30:00.000Z',
    );
  });

  it('agrees with a minute-by-minute scan around clock changes (including a 30-minute one)', () => {
    const cases = [
      { zone: 'Europe/London', around: ['2027-03-28T01:00:00Z', '2027-10-31T01:00:00Z'] },
      { zone: 'America/New_York', around: ['2027-03-14T07:00:00Z', '2027-11-07T06:00:00Z'] },
      { zone: 'Australia/Lord_Howe', around: ['2027-04-03T15:00:00Z', '2027-10-02T15:30:00Z'] },
    ];
    const hours = [
      ['22:00', '07:00'],
      ['00:30', '02:30'],
      ['01:45', '01:15'],
    ] as const;
    for (const { zone, around } of cases) {
      for (const change of around) {
        for (let offset = -30; offset <= 6; offset += 3) {
          const now = at(change) + offset * 3_600_000 + 17_000;
          for (const [start, end] of hours) {
            const label = `${zone} ${new Date(now).toISOString()} ${start}-${end}`;
            expect(quietHoursEnd(now, { start, end }, zone)?.toISOString() ?? null, label).to.equal(
              scanned(now, start, end, zone),
            );
          }
        }
      }
    }
  });
});
