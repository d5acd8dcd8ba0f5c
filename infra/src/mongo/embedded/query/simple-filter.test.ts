/**
 * The fast path for simple filters against the full matcher: for every document and filter it
 * decides, it must answer as the full matcher does (the same filter inside `$and`, which the
 * fast path never takes).
 */
import type { Document } from 'bson';
import { expect } from 'chai';
import { compileFilter } from './matcher.ts';
import { simpleMatcher } from './simple-filter.ts';

describe('embedded MongoDB simple-filter fast path vs the full matcher', () => {
  const values: unknown[] = [
    0,
    -0,
    1,
    2.5,
    -3,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    '',
    'a',
    'b',
    '1',
    true,
    false,
    null,
    [],
    [1, 'a'],
    [2.5],
    { x: 1 },
    new Date(1),
  ];
  const operands: (string | number | boolean)[] = [
    0,
    1,
    2.5,
    -3,
    Number.POSITIVE_INFINITY,
    'a',
    '1',
    '',
    true,
    false,
  ];
  const documents: Document[] = [
    { _id: 1 },
    ...values.flatMap((a, i) => values.map((b, j) => ({ _id: i * 100 + j, a, b }))),
  ];
  const filters: Document[] = [
    ...operands.map((operand) => ({ a: operand })),
    ...operands.map((operand) => ({ a: { $eq: operand } })),
    ...operands
      .filter((operand) => typeof operand === 'number')
      .flatMap((operand) => ['$gt', '$gte', '$lt', '$lte'].map((op) => ({ a: { [op]: operand } }))),
    { a: 1, b: 'a' },
    { a: { $gte: 0, $lt: 2.5 }, b: true },
    { _id: 101, a: 0 },
  ];

  it('answers as the full matcher wherever it decides, and decides most of them', () => {
    let decided = 0;
    let asked = 0;
    for (const filter of filters) {
      const fast = simpleMatcher(filter);
      expect(fast, JSON.stringify(filter)).to.not.equal(undefined);
      const full = compileFilter({ $and: [filter] });
      for (const doc of documents) {
        asked += 1;
        const answer = fast?.(doc);
        if (answer === undefined) continue;
        decided += 1;
        expect(answer, `${JSON.stringify(filter)} on ${String(doc.a)}, ${String(doc.b)}`).to.equal(
          full(doc),
        );
      }
    }
    expect(decided / asked).to.be.above(0.7);
  });

  it('leaves what it cannot tell to the full matcher, and compiled filters answer the same', () => {
    for (const filter of [
      { 'a.b': 1 },
      { a: { $in: [1] } },
      { a: { $lt: 'b' } },
      { a: Number.NaN },
      { a: {} },
      { $or: [{ a: 1 }] },
    ]) {
      expect(simpleMatcher(filter), JSON.stringify(filter)).to.equal(undefined);
    }
    // Arrays are the full matcher's: an element matches.
    const matches = compileFilter({ a: 1 });
    expect(simpleMatcher({ a: 1 })?.({ a: [3, 1] })).to.equal(undefined);
    expect(matches({ a: [3, 1] })).to.equal(true);
    expect(matches({ a: [3] })).to.equal(false);
    expect(matches({ a: 1 })).to.equal(true);
  });
});
