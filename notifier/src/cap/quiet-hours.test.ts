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

  const ends = [
    [
      '2026-12-01T22:00:00Z',
      '22:00',
      '07:00',
      'Europe/London',
      '2026-12-02T07:00:00.000Z',
      'across midnight',
    ],
    [
      '2026-12-02T06:59:59Z',
      '22:00',
      '07:00',
      'Europe/London',
      '2026-12-02T07:00:00.000Z',
      'in its last second',
    ],
    [
      '2026-12-01T14:30:00Z',
      '22:00',
      '07:00',
      'Asia/Tokyo',
      '2026-12-01T22:00:00.000Z',
      'at 07:00 in Tokyo',
    ],
    ['2026-12-01T13:15:00Z', '12:00', '14:00', 'UTC', '2026-12-01T14:00:00.000Z', 'within one day'],
    // London springs forward at 01:00 UTC on 28 March 2027 and falls back at 01:00 UTC on 31
    // October 2027: the night is an hour shorter, then longer.
    [
      '2027-03-27T23:00:00Z',
      '22:00',
      '07:00',
      'Europe/London',
      '2027-03-28T06:00:00.000Z',
      'on a spring-forward night',
    ],
    [
      '2027-10-30T22:00:00Z',
      '22:00',
      '07:00',
      'Europe/London',
      '2027-10-31T07:00:00.000Z',
      'on a fall-back night',
    ],
    [
      '2027-03-27T23:00:00Z',
      '22:00',
      '01:30',
      'Europe/London',
      '2027-03-28T01:00:00.000Z',
      'when the clock jumps past an end it skips',
    ],
    [
      '2027-10-30T22:00:00Z',
      '22:00',
      '01:30',
      'Europe/London',
      '2027-10-31T00:30:00.000Z',
      'at the first of an end the clock shows twice',
    ],
  ] as const;
  for (const [now, start, end, zone, expected, what] of ends) {
    it(`ends at \`end\` on the user’s clock ${what}`, () => {
      expect(endOf(now, start, end, zone)).to.equal(expected);
    });
  }

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
