import { expect } from 'chai';
import { exponentialBackoff } from './backoff.ts';
import { PermanentError } from './errors.ts';
import { decideAfterFailure, truncate } from './failure-policy.ts';
import { parseMismatch } from './topology/mismatch.ts';

const tiers = [
  { name: '5s', delayMs: 5_000 },
  { name: '30s', delayMs: 30_000 },
  { name: '5m', delayMs: 300_000 },
];

describe('failure policy', () => {
  const cases = [
    { before: 0, error: new Error('x'), expected: { kind: 'retry', tier: '5s', attempts: 1 } },
    { before: 1, error: new Error('x'), expected: { kind: 'retry', tier: '30s', attempts: 2 } },
    { before: 2, error: new Error('x'), expected: { kind: 'retry', tier: '5m', attempts: 3 } },
    {
      before: 3,
      error: new Error('x'),
      expected: { kind: 'dead-letter', reason: 'retries-exhausted', attempts: 4 },
    },
    {
      before: 0,
      error: new PermanentError('no'),
      expected: { kind: 'dead-letter', reason: 'permanent', attempts: 1 },
    },
    {
      before: 1,
      error: { permanent: true, message: 'from another copy of the module' },
      expected: { kind: 'dead-letter', reason: 'permanent', attempts: 2 },
    },
  ];
  for (const { before, error, expected } of cases) {
    it(`after ${before} attempts, ${(error as Error).message} → ${expected.kind}`, () => {
      const decision = decideAfterFailure(before, error, tiers);
      expect(decision.kind).to.equal(expected.kind);
      expect(decision.attempts).to.equal(expected.attempts);
      if (decision.kind === 'retry') expect(decision.tier.name).to.equal(expected.tier);
      else expect(decision.reason).to.equal(expected.reason);
    });
  }

  it('truncates long error text to the header limit, marking the cut', () => {
    expect(truncate('short')).to.equal('short');
    const long = truncate('é'.repeat(5_000));
    expect(long).to.have.length(1024);
    expect(long.endsWith('…')).to.be.true;
  });
});

describe('exponential backoff', () => {
  it('doubles from the initial delay, never exceeds the cap, and starts over after reset', () => {
    const backoff = exponentialBackoff({
      initialMs: 100,
      maxMs: 1_000,
      jitter: 0,
      random: () => 0.5,
    });
    expect([1, 2, 3, 4, 5, 6].map(() => backoff.next())).to.deep.equal([
      100, 200, 400, 800, 1000, 1000,
    ]);
    backoff.reset();
    expect(backoff.next()).to.equal(100);
  });

  it('spreads delays by the jitter fraction, still under the cap', () => {
    const low = exponentialBackoff({ initialMs: 100, maxMs: 10_000, jitter: 0.2, random: () => 0 });
    const high = exponentialBackoff({ initialMs: 100, maxMs: 1_000, jitter: 0.2, random: () => 1 });
    expect(low.next()).to.equal(80);
    const delays = Array.from({ length: 10 }, () => high.next());
    expect(delays[0]).to.equal(120);
    expect(Math.max(...delays)).to.equal(1_000);
  });
});

describe('topology mismatch parsing', () => {
  it('names the queue and the argument from the broker’s 406 text', () => {
    const error = Object.assign(
      new Error(
        `Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - inequivalent arg 'x-delivery-limit' for queue 'alerter.p3' in vhost '/': received the value '20' of type 'byte' but current is the value '30' of type 'byte'"`,
      ),
      { code: 406 },
    );
    expect(parseMismatch(error, { kind: 'queue', name: 'alerter.p3' })).to.deep.equal({
      kind: 'queue',
      name: 'alerter.p3',
      argument: 'x-delivery-limit',
      detail: "received the value '20' of type 'byte' but current is the value '30' of type 'byte'",
    });
  });

  it('leaves other errors alone', () => {
    expect(parseMismatch(new Error('socket hang up'), { kind: 'queue', name: 'q' })).to.be.null;
  });
});
