import { expect } from 'chai';
import { rulesNearPrices } from './rules.ts';

describe('demo rules near the prices', () => {
  it('makes the first ticker a rule that already holds, the others narrow ranges around their price', () => {
    const rules = rulesNearPrices(
      new Map([
        ['AAPL', 230],
        ['MSFT', 420],
      ]),
    );
    expect(rules.map((rule) => rule.condition)).to.deep.equal([
      { above: { threshold: 225.4 } },
      { outsideRange: { low: 418.74, high: 421.26 } },
    ]);
    expect(rules.map((rule) => rule.ticker)).to.deep.equal(['AAPL', 'MSFT']);
    expect(rules[0]!.description).to.equal(
      'AAPL above 225.4 (2 % under the price: fires on its next quote)',
    );
  });

  it('makes none without prices', () => {
    expect(rulesNearPrices(new Map())).to.deep.equal([]);
  });
});
