import { expect } from 'chai';
import { PARTITIONS, partitionOf, stableHash32 } from './partition.ts';

describe('partitionOf', () => {
  it('is pinned: these values must never change between releases', () => {
    // Computed once and frozen. If this fails, the hash changed: tickers would move partitions
    // and split rules from their trigger state (see the README's migration section).
    expect(stableHash32('')).to.equal(0xab3e7c0b);
    expect(stableHash32('AAPL')).to.equal(0x877aebfa);
    expect(
      Object.fromEntries(
        ['AAPL', 'MSFT', 'BRK.B', '^GSPC', 'EURUSD=X', 'OCDO.L'].map((t) => [t, partitionOf(t)]),
      ),
    ).to.deep.equal(PINNED);
  });

  it('is in [0, PARTITIONS) and the same for the same ticker', () => {
    for (const ticker of tickers(1000)) {
      const partition = partitionOf(ticker);
      expect(partition).to.be.within(0, PARTITIONS - 1);
      expect(partitionOf(ticker)).to.equal(partition);
    }
  });

  it('is the same in another process', async () => {
    const { execFileSync } = await import('node:child_process');
    const sample = tickers(200);
    const script = `import { partitionOf } from './contracts/src/partition.ts';
      process.stdout.write(JSON.stringify(${JSON.stringify(sample)}.map((t) => partitionOf(t))));`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url).pathname,
    });
    expect(JSON.parse(output.toString())).to.deep.equal(sample.map((t) => partitionOf(t)));
  });

  it('spreads 10,000 tickers uniformly (chi-square, 15 degrees of freedom, p > 0.001)', () => {
    const counts = new Array<number>(PARTITIONS).fill(0);
    const sample = tickers(10_000);
    for (const ticker of sample) counts[partitionOf(ticker)]! += 1;
    const expected = sample.length / PARTITIONS;
    const chiSquare = counts.reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
    // 37.70 is the 0.999 quantile of chi-square with 15 degrees of freedom.
    expect(chiSquare, `counts ${counts.join(',')}`).to.be.below(37.7);
    expect(Math.min(...counts)).to.be.above(expected * 0.85);
  });
});

/** Deterministic realistic tickers: 1-5 letters plus a few exchange suffixes. */
function tickers(count: number): string[] {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const suffixes = ['', '', '', '.L', '.HK', '-USD', '=X', '.DE'];
  const result = new Set<string>();
  let seed = 42;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  while (result.size < count) {
    const length = 1 + (next() % 5);
    let ticker = '';
    for (let i = 0; i < length; i++) ticker += letters.charAt(next() % letters.length);
    result.add(`${ticker}${suffixes[next() % suffixes.length] ?? ''}`);
  }
  return [...result];
}

const PINNED = { AAPL: 10, MSFT: 10, 'BRK.B': 10, '^GSPC': 5, 'EURUSD=X': 10, 'OCDO.L': 15 };
