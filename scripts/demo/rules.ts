/**
 * Rules placed near the current prices, so the demo sees alerts within a minute: one that
 * already holds (it fires on the ticker's next quote) and narrow ranges the simulated market
 * soon leaves. The one that holds sits 2 % under the price: the simulated market often moves
 * 0.5 % between two quotes, which took a threshold 0.1 % under the price out of reach.
 */
export interface DemoRule {
  readonly ticker: string;
  /** The gateway's ConditionInput (one of its fields). */
  readonly condition: Record<string, Record<string, number>>;
  /** What it means, for the demo's output. */
  readonly description: string;
}

const round = (value: number) => Math.round(value * 100) / 100;

/** `prices`: ticker → current price, in the order the rules should be made. */
export function rulesNearPrices(prices: ReadonlyMap<string, number>): DemoRule[] {
  const [first, ...others] = [...prices];
  if (!first) return [];
  const [ticker, price] = first;
  const threshold = round(price * 0.98);
  return [
    {
      ticker,
      condition: { above: { threshold } },
      description: `${ticker} above ${threshold} (2 % under the price: fires on its next quote)`,
    },
    ...others.map(([other, otherPrice]) => {
      const low = round(otherPrice * 0.997);
      const high = round(otherPrice * 1.003);
      return {
        ticker: other,
        condition: { outsideRange: { low, high } },
        description: `${other} outside ${low}–${high} (fires once it moves 0.3 %)`,
      };
    }),
  ];
}
