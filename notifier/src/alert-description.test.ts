import { EventType } from '@tickwatch/contracts';
import { exampleData } from '@tickwatch/contracts/examples';
import { expect } from 'chai';
import { describeAlert, formatInstant, formatPrice } from './alert-description.ts';
import type { Alert } from './deliveries/delivery-model.ts';

const base: Alert = exampleData[EventType.alertTriggered];
const alert = (overrides: Partial<Alert>): Alert => ({ ...base, ...overrides });

describe('alert description', () => {
  it('says what happened, with the price and the threshold, for every condition', () => {
    const cases: [Partial<Alert>, string][] = [
      [
        { condition: { type: 'ABOVE', threshold: 200 }, price: 201.37, previousPrice: 199 },
        'AAPL rose above 200.00 — now 201.37 USD',
      ],
      [
        { condition: { type: 'BELOW', threshold: 180 }, price: 179.5, previousPrice: 180 },
        'AAPL fell below 180.00 — now 179.50 USD',
      ],
      [
        {
          condition: { type: 'OUTSIDE_RANGE', low: 150, high: 200 },
          price: 201,
          previousPrice: 199,
        },
        'AAPL rose above 200.00, out of its 150.00–200.00 range — now 201.00 USD',
      ],
      [
        {
          condition: { type: 'OUTSIDE_RANGE', low: 150, high: 200 },
          price: 149.99,
          previousPrice: 151,
        },
        'AAPL fell below 150.00, out of its 150.00–200.00 range — now 149.99 USD',
      ],
      [
        {
          condition: { type: 'PERCENT_CHANGE', percent: 5, direction: 'UP' },
          price: 210,
          referencePrice: 200,
        },
        'AAPL rose 5 % since the previous close — now 210.00 USD',
      ],
      [
        {
          condition: { type: 'MOVING_AVERAGE_DEVIATION', windowMinutes: 15, tolerancePercent: 2 },
          price: 196,
          referencePrice: 200,
        },
        'AAPL is 2 % below its 15-minute average — now 196.00 USD',
      ],
      [
        {
          condition: { type: 'AVERAGE_MOVE', windowMinutes: 5, tolerancePercent: 1.5 },
          referencePrice: 330,
        },
        "AAPL's 5-minute average moved 1.5 % or more — now 333.69 USD",
      ],
    ];
    for (const [overrides, summary] of cases) {
      expect(describeAlert(alert(overrides), 'UTC').summary).to.equal(summary);
    }
  });

  it('says "is above" when the quote did not cross the line: the price was past it already or unknown', () => {
    const cases: [Partial<Alert>, string][] = [
      [
        { condition: { type: 'ABOVE', threshold: 200 }, price: 205, previousPrice: 203 },
        'AAPL is above 200.00 — now 205.00 USD',
      ],
      [
        { condition: { type: 'BELOW', threshold: 180 }, price: 170, previousPrice: null },
        'AAPL is below 180.00 — now 170.00 USD',
      ],
      [
        {
          condition: { type: 'OUTSIDE_RANGE', low: 150, high: 200 },
          price: 140,
          previousPrice: 145,
        },
        'AAPL is below 150.00, out of its 150.00–200.00 range — now 140.00 USD',
      ],
    ];
    for (const [overrides, summary] of cases) {
      expect(describeAlert(alert(overrides), 'UTC').summary).to.equal(summary);
    }
  });

  it('lists every detail, with thresholds, change and reference price', () => {
    const details = describeAlert(
      alert({
        condition: { type: 'PERCENT_CHANGE', percent: 1, direction: 'EITHER' },
        referencePrice: 330.32,
        delayMinutes: 0,
        frequency: 'ONCE_PER_DAY',
      }),
      'Europe/London',
    ).details;
    expect(details.map((line) => [line.label, line.value])).to.deep.equal([
      ['Ticker', 'AAPL'],
      ['Condition', 'Price moves 1 % up or down from the previous close'],
      ['Change threshold', '1 %'],
      ['Price', '333.69 USD'],
      ['Previous price', '329.80 USD'],
      ['Change', '+3.89 USD (+1.18 %)'],
      ['Previous close', '330.32 USD'],
      ['Market time', 'Fri, 2 Oct 2026, 21:00:01 GMT+1 (Europe/London)'],
      ['Quote delay', 'Real time'],
      ['Alert frequency', 'At most once per exchange trading day'],
    ]);
  });

  it('formats prices with at least two decimals and small prices in full', () => {
    expect([200, 1234.5, 0.000123, 201.37].map(formatPrice)).to.deep.equal([
      '200.00',
      '1,234.50',
      '0.000123',
      '201.37',
    ]);
    expect(formatInstant('2026-01-15T12:00:00.000Z', 'Asia/Tokyo')).to.equal(
      'Thu, 15 Jan 2026, 21:00:00 GMT+9',
    );
  });
});
