/**
 * Property: the ticker book (sorted levels, due queues, expiry queue, incremental rule changes)
 * fires exactly what a scan of every rule on every quote fires, for random rules of every
 * condition and frequency, random quote paths (touches, repeats, out-of-order quotes, gaps of
 * days) and rule changes in between. A rule the index failed to find would show up here.
 */
import type { Condition, Frequency, Rule } from '@tickwatch/contracts';
import { expect } from 'chai';
import fc from 'fast-check';
import { NaiveScan, type ScanFiring } from './naive-scan.ts';
import { TickerBook, type Tick } from './ticker-book.ts';
import { makeRule, NEW_YORK, ORIGIN } from './testing.ts';

/** Prices on a coarse grid so that touching a threshold exactly happens often. */
const price = fc.integer({ min: 160, max: 240 }).map((halves) => halves / 2);
const threshold = fc.integer({ min: 85, max: 115 });

const condition: fc.Arbitrary<Condition> = fc.oneof(
  threshold.map((t) => ({ type: 'ABOVE' as const, threshold: t })),
  threshold.map((t) => ({ type: 'BELOW' as const, threshold: t })),
  fc
    .tuple(threshold, fc.integer({ min: 1, max: 20 }))
    .map(([low, width]) => ({ type: 'OUTSIDE_RANGE' as const, low, high: low + width })),
  fc.record({
    type: fc.constant('PERCENT_CHANGE' as const),
    percent: fc.integer({ min: 1, max: 15 }),
    direction: fc.constantFrom('UP' as const, 'DOWN' as const, 'EITHER' as const),
  }),
  fc.record({
    type: fc.constant('MOVING_AVERAGE_DEVIATION' as const),
    windowMinutes: fc.constantFrom(5 as const, 10 as const, 15 as const),
    tolerancePercent: fc.integer({ min: 1, max: 10 }),
  }),
  fc.record({
    type: fc.constant('AVERAGE_MOVE' as const),
    windowMinutes: fc.constantFrom(5 as const, 10 as const, 15 as const),
    tolerancePercent: fc.double({ min: 0.1, max: 3, noNaN: true }),
  }),
);

const ruleSpec = fc.record({
  condition,
  frequency: fc.constantFrom<Frequency>('ONCE', 'ONCE_PER_DAY', 'EVERY_CROSSING', 'WHILE_TRUE'),
  hysteresisPercent: fc.constantFrom(0, 0.5, 2, 10),
  cooldownSeconds: fc.constantFrom(0, 60, 300, 1800),
  paused: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  /** Minutes after the start at which it expires, or never. */
  expiresAfter: fc.option(fc.integer({ min: 1, max: 600 }), { nil: null }),
});
type RuleSpec = typeof ruleSpec extends fc.Arbitrary<infer T> ? T : never;

/** One step of a scenario: a quote, or a rule change. */
type Action =
  | { kind: 'tick'; minutes: number; price: number; previousClose: number | null }
  | { kind: 'add'; spec: RuleSpec }
  | { kind: 'remove'; index: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      // Mostly forward by a minute; sometimes back (out of order), same (repeat), or a day on.
      minutes: fc.oneof(
        { weight: 10, arbitrary: fc.constant(1) },
        { weight: 1, arbitrary: fc.constantFrom(0, -1, -3) },
        { weight: 1, arbitrary: fc.constantFrom(20, 24 * 60, 24 * 60 + 7) },
      ),
      price,
      previousClose: fc.option(fc.constantFrom(95, 100, 105), { nil: null, freq: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('add' as const), spec: ruleSpec }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('remove' as const), index: fc.nat(30) }),
  },
);

function toRule(spec: RuleSpec): Rule {
  return makeRule(spec.condition, {
    frequency: spec.frequency,
    hysteresisPercent: spec.hysteresisPercent,
    cooldownSeconds: spec.cooldownSeconds,
    paused: spec.paused,
    expiresAt:
      spec.expiresAfter === null
        ? null
        : new Date(ORIGIN + spec.expiresAfter * 60_000).toISOString(),
  });
}

const key = (f: ScanFiring): string => `${f.ruleId}#${f.sequence}:${f.side}`;

describe('alerter index vs a scan of every rule (property)', () => {
  it('fires the same rules, sequences and sides for any rules and quote path', () => {
    fc.assert(
      fc.property(
        fc.array(ruleSpec, { maxLength: 25 }),
        fc.array(action, { maxLength: 120 }),
        (initial, actions) => {
          const book = new TickerBook('AAPL');
          const scan = new NaiveScan();
          const rules: Rule[] = [];
          const add = (rule: Rule) => {
            rules.push(rule);
            book.addRule(rule, undefined, ORIGIN);
            scan.addRule(rule);
          };
          initial.forEach((spec) => {
            add(toRule(spec));
          });
          let minutes = 0;
          for (const step of actions) {
            if (step.kind === 'add') add(toRule(step.spec));
            else if (step.kind === 'remove') {
              const rule = rules[step.index % Math.max(rules.length, 1)];
              if (rule) {
                book.removeRule(rule.id);
                scan.removeRule(rule.id);
              }
            } else {
              minutes += step.minutes;
              const tick: Tick = {
                price: step.price,
                marketTime: ORIGIN + minutes * 60_000,
                previousClose: step.previousClose,
                timeZone: NEW_YORK,
              };
              const indexed = book
                .applyTick(tick, ORIGIN)
                .firings.map((f) =>
                  key({ ruleId: f.rule.id, sequence: f.state.sequence, side: f.side }),
                )
                .sort();
              const scanned = scan.applyTick('AAPL', tick, ORIGIN).map(key).sort();
              expect(indexed, `quote at minute ${minutes}, price ${step.price}`).to.deep.equal(
                scanned,
              );
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
