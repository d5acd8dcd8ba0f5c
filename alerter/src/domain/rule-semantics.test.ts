/**
 * Rule semantics, table-driven: each condition × frequency against price paths that cross,
 * touch, hover inside the hysteresis, gap over both thresholds of a range, arrive out of order
 * or twice. Each row says at which quotes (positions in its path) the rule fires, and on which
 * side.
 */
import type { Condition, Rule } from '@tickwatch/contracts';
import { expect } from 'chai';
import { TickerBook, type Tick } from './ticker-book.ts';
import { makeRule, path, tickAt } from './testing.ts';

interface Row {
  readonly name: string;
  readonly condition: Condition;
  readonly rule?: Partial<Rule>;
  readonly ticks: readonly Tick[];
  /** Quotes already seen before the rule starts (its starting state depends on them). */
  readonly before?: readonly Tick[];
  /** `position:side` of every firing, in order. */
  readonly fires: readonly string[];
}

const above = (threshold: number): Condition => ({ type: 'ABOVE', threshold });
const below = (threshold: number): Condition => ({ type: 'BELOW', threshold });
const range = (low: number, high: number): Condition => ({ type: 'OUTSIDE_RANGE', low, high });
const change = (percent: number, direction: 'UP' | 'DOWN' | 'EITHER'): Condition => ({
  type: 'PERCENT_CHANGE',
  percent,
  direction,
});
/** Ten flat minutes warm the 5-minute window; the path goes on from minute 6. */
const flat = (n: number) => Array.from({ length: n }, () => 100);

const rows: Row[] = [
  // ABOVE
  {
    name: 'ABOVE ONCE fires at the first crossing only',
    condition: above(100),
    rule: { frequency: 'ONCE' },
    ticks: path([95, 99, 101, 95, 105]),
    fires: ['2:UPPER'],
  },
  {
    name: 'ABOVE ONCE: touching the threshold counts',
    condition: above(100),
    rule: { frequency: 'ONCE' },
    ticks: path([99, 100, 101]),
    fires: ['1:UPPER'],
  },
  {
    name: 'ABOVE ONCE already true when created fires on the next quote',
    condition: above(100),
    rule: { frequency: 'ONCE' },
    before: path([105]),
    ticks: [tickAt(1, 106), tickAt(2, 107)],
    fires: ['0:UPPER'],
  },
  {
    name: 'ABOVE ONCE fires on the ticker’s very first quote when it holds',
    condition: above(100),
    rule: { frequency: 'ONCE' },
    ticks: path([105, 106]),
    fires: ['0:UPPER'],
  },
  {
    name: 'ABOVE EVERY_CROSSING fires on each crossing',
    condition: above(100),
    ticks: path([95, 101, 102, 99, 101]),
    fires: ['1:UPPER', '4:UPPER'],
  },
  {
    name: 'ABOVE EVERY_CROSSING: a touch is a crossing, leaving by a cent re-arms',
    condition: above(100),
    ticks: path([99, 100, 100.5, 99.99, 100]),
    fires: ['1:UPPER', '4:UPPER'],
  },
  {
    name: 'ABOVE EVERY_CROSSING hovering inside the hysteresis does not re-arm',
    condition: above(100),
    rule: { hysteresisPercent: 1 },
    ticks: path([95, 101, 99.5, 101, 99.1, 100.5, 98.9, 100]),
    fires: ['1:UPPER', '7:UPPER'],
  },
  {
    name: 'ABOVE EVERY_CROSSING: exactly at the re-arm level is not past it',
    condition: above(100),
    rule: { hysteresisPercent: 1 },
    ticks: path([95, 101, 99, 101]),
    fires: ['1:UPPER'],
  },
  {
    name: 'ABOVE EVERY_CROSSING already above when created waits for a real crossing',
    condition: above(100),
    before: path([105]),
    ticks: [tickAt(1, 104), tickAt(2, 106), tickAt(3, 95), tickAt(4, 101)],
    fires: ['3:UPPER'],
  },
  {
    name: 'ABOVE EVERY_CROSSING: no edge on the ticker’s first quote',
    condition: above(100),
    ticks: path([105, 99, 101]),
    fires: ['2:UPPER'],
  },
  {
    name: 'ABOVE WHILE_TRUE fires at most once per cooldown while it holds',
    condition: above(100),
    rule: { frequency: 'WHILE_TRUE', cooldownSeconds: 180 },
    ticks: path([101, 102, 103, 104, 105, 106, 107]),
    fires: ['0:UPPER', '3:UPPER', '6:UPPER'],
  },
  {
    name: 'ABOVE WHILE_TRUE: leaving and coming back does not reset the cooldown',
    condition: above(100),
    rule: { frequency: 'WHILE_TRUE', cooldownSeconds: 1800 },
    ticks: path([101, 95, 101, 102]),
    fires: ['0:UPPER'],
  },
  {
    name: 'ABOVE WHILE_TRUE: after the cooldown it fires only if it still holds',
    condition: above(100),
    rule: { frequency: 'WHILE_TRUE', cooldownSeconds: 120 },
    ticks: path([101, 102, 95, 96, 101]),
    fires: ['0:UPPER', '4:UPPER'],
  },
  {
    name: 'ABOVE ONCE_PER_DAY fires once in a day however often it crosses',
    condition: above(100),
    rule: { frequency: 'ONCE_PER_DAY' },
    ticks: path([95, 101, 95, 101, 102]),
    fires: ['1:UPPER'],
  },
  // BELOW
  {
    name: 'BELOW EVERY_CROSSING fires on each crossing down, touch included',
    condition: below(100),
    ticks: path([105, 99, 98, 101, 100]),
    fires: ['1:LOWER', '4:LOWER'],
  },
  {
    name: 'BELOW EVERY_CROSSING with hysteresis re-arms only above threshold + 2 %',
    condition: below(100),
    rule: { hysteresisPercent: 2 },
    ticks: path([105, 99, 101.5, 99, 102.5, 99]),
    fires: ['1:LOWER', '5:LOWER'],
  },
  {
    name: 'BELOW ONCE',
    condition: below(100),
    rule: { frequency: 'ONCE' },
    ticks: path([101, 99, 101, 98]),
    fires: ['1:LOWER'],
  },
  {
    name: 'BELOW WHILE_TRUE',
    condition: below(100),
    rule: { frequency: 'WHILE_TRUE', cooldownSeconds: 60 },
    ticks: path([99, 98, 101, 97]),
    fires: ['0:LOWER', '1:LOWER', '3:LOWER'],
  },
  // OUTSIDE_RANGE
  {
    name: 'OUTSIDE_RANGE EVERY_CROSSING: a gap over both thresholds fires the other side',
    condition: range(90, 110),
    ticks: path([100, 115, 85, 100, 80]),
    fires: ['1:UPPER', '2:LOWER', '4:LOWER'],
  },
  {
    name: 'OUTSIDE_RANGE EVERY_CROSSING: touching either bound counts',
    condition: range(90, 110),
    ticks: path([100, 110, 100, 90]),
    fires: ['1:UPPER', '3:LOWER'],
  },
  {
    name: 'OUTSIDE_RANGE WHILE_TRUE: a gap from one side to the other is still outside',
    condition: range(90, 110),
    rule: { frequency: 'WHILE_TRUE', cooldownSeconds: 1800 },
    ticks: path([115, 85, 100, 80]),
    fires: ['0:UPPER'],
  },
  {
    name: 'OUTSIDE_RANGE ONCE',
    condition: range(90, 110),
    rule: { frequency: 'ONCE' },
    ticks: path([100, 115, 85]),
    fires: ['1:UPPER'],
  },
  {
    name: 'OUTSIDE_RANGE ONCE_PER_DAY',
    condition: range(90, 110),
    rule: { frequency: 'ONCE_PER_DAY' },
    ticks: path([100, 85, 115, 100]),
    fires: ['1:LOWER'],
  },
  {
    name: 'OUTSIDE_RANGE EVERY_CROSSING: each side re-arms past its own level (20 % of 90-100: upper at 80, lower at 108)',
    condition: range(90, 100),
    rule: { hysteresisPercent: 20 },
    ticks: path([95, 110, 85, 110, 79, 101]),
    fires: ['1:UPPER', '2:LOWER', '4:LOWER', '5:UPPER'],
  },
  // PERCENT_CHANGE (previous close 100)
  {
    name: 'PERCENT_CHANGE 5 % UP',
    condition: change(5, 'UP'),
    ticks: path([101, 104.9, 105, 106, 103, 107]),
    fires: ['2:UPPER', '5:UPPER'],
  },
  {
    name: 'PERCENT_CHANGE 5 % DOWN',
    condition: change(5, 'DOWN'),
    ticks: path([99, 95, 94, 96, 90]),
    fires: ['1:LOWER', '4:LOWER'],
  },
  {
    name: 'PERCENT_CHANGE 5 % EITHER, gapping from +6 % to -6 %',
    condition: change(5, 'EITHER'),
    ticks: path([100, 106, 94]),
    fires: ['1:UPPER', '2:LOWER'],
  },
  {
    name: 'PERCENT_CHANGE without a previous close never fires',
    condition: change(5, 'EITHER'),
    ticks: path([100, 120, 80], { previousClose: null }),
    fires: [],
  },
  {
    name: 'PERCENT_CHANGE follows the previous close of each quote',
    condition: change(5, 'UP'),
    rule: { frequency: 'WHILE_TRUE', cooldownSeconds: 0 },
    ticks: [
      tickAt(0, 106),
      tickAt(1, 106, { previousClose: 105 }),
      tickAt(2, 111, { previousClose: 105 }),
    ],
    fires: ['0:UPPER', '2:UPPER'],
  },
  // Moving averages: the 5-minute window is warm from the sixth one-a-minute quote on.
  {
    name: 'MOVING_AVERAGE_DEVIATION fires only once the window is warm',
    condition: { type: 'MOVING_AVERAGE_DEVIATION', windowMinutes: 5, tolerancePercent: 2 },
    ticks: path([100, 120, 100, 100, 100, 100, 100, 100, 100, 103]),
    fires: ['9:UPPER'],
  },
  {
    name: 'MOVING_AVERAGE_DEVIATION below the average',
    condition: { type: 'MOVING_AVERAGE_DEVIATION', windowMinutes: 5, tolerancePercent: 2 },
    ticks: path([...flat(6), 97, 100, 96]),
    fires: ['6:LOWER', '8:LOWER'],
  },
  {
    name: 'AVERAGE_MOVE fires when the average itself moves by the tolerance',
    condition: { type: 'AVERAGE_MOVE', windowMinutes: 5, tolerancePercent: 1 },
    ticks: path([...flat(7), 106]),
    fires: ['7:UPPER'],
  },
  {
    name: 'AVERAGE_MOVE never fires on a flat price (no tolerance can be 0)',
    condition: { type: 'AVERAGE_MOVE', windowMinutes: 5, tolerancePercent: 0.001 },
    rule: { frequency: 'WHILE_TRUE', cooldownSeconds: 0 },
    ticks: path(flat(20)),
    fires: [],
  },
  // Order and repeats
  {
    name: 'a quote older than the last one, or the same again, changes nothing',
    condition: above(100),
    ticks: [
      tickAt(0, 95),
      tickAt(2, 101),
      tickAt(1, 120),
      tickAt(2, 101),
      tickAt(3, 99),
      tickAt(4, 101),
    ],
    fires: ['1:UPPER', '5:UPPER'],
  },
  // Numbers, not text: "9" > "10" as strings
  {
    name: 'thresholds are numbers: 10 is above 9',
    condition: above(9),
    ticks: path([8, 10]),
    fires: ['1:UPPER'],
  },
  {
    name: 'thresholds are numbers: 9 is not above 10',
    condition: above(10),
    ticks: path([8, 9, 9.99]),
    fires: [],
  },
  // Lifecycle
  {
    name: 'a paused rule never fires',
    condition: above(100),
    rule: { paused: true },
    ticks: path([95, 105]),
    fires: [],
  },
  {
    name: 'an expired rule never fires',
    condition: above(100),
    rule: { expiresAt: new Date(tickAt(1, 0).marketTime).toISOString() },
    ticks: path([95, 99, 105]),
    fires: [],
  },
  {
    name: 'a rule fires until its expiry, not after',
    condition: above(100),
    rule: {
      frequency: 'WHILE_TRUE',
      cooldownSeconds: 60,
      expiresAt: new Date(tickAt(2, 0).marketTime).toISOString(),
    },
    ticks: path([101, 102, 103]),
    fires: ['0:UPPER', '1:UPPER'],
  },
];

/** The firings of one rule along the path, as `position:side`. */
function run(row: Row): string[] {
  const book = new TickerBook('AAPL');
  const now = row.ticks[0]?.marketTime ?? 0;
  for (const tick of row.before ?? []) book.applyTick(tick, tick.marketTime);
  book.addRule(makeRule(row.condition, row.rule), undefined, now);
  return row.ticks.flatMap((tick, position) =>
    book.applyTick(tick, tick.marketTime).firings.map((firing) => `${position}:${firing.side}`),
  );
}

describe('alerter rule semantics (condition × frequency × price path)', () => {
  for (const row of rows) {
    it(row.name, () => {
      expect(run(row)).to.deep.equal(row.fires);
    });
  }

  it('numbers each firing of a rule version: sequence 1, 2, 3', () => {
    const book = new TickerBook('AAPL');
    book.addRule(makeRule(above(100)), undefined, 0);
    const sequences = path([95, 101, 95, 101, 95, 101]).flatMap((tick) =>
      book.applyTick(tick, 0).firings.map((f) => f.state.sequence),
    );
    expect(sequences).to.deep.equal([1, 2, 3]);
  });

  it('carries the reference each condition compares to', () => {
    const references = (condition: Condition, prices: number[]) => {
      const book = new TickerBook('AAPL');
      book.addRule(makeRule(condition), undefined, 0);
      return path(prices).flatMap((tick) =>
        book.applyTick(tick, 0).firings.map((f) => f.reference),
      );
    };
    expect(references(above(100), [95, 101])).to.deep.equal([null]);
    expect(references(change(5, 'UP'), [100, 106])).to.deep.equal([100]);
    const deviation: Condition = {
      type: 'MOVING_AVERAGE_DEVIATION',
      windowMinutes: 5,
      tolerancePercent: 2,
    };
    expect(references(deviation, [...flat(6), 103])).to.deep.equal([100.6]);
    const move: Condition = { type: 'AVERAGE_MOVE', windowMinutes: 5, tolerancePercent: 1 };
    expect(references(move, [...flat(7), 106])).to.deep.equal([100]);
  });
});
