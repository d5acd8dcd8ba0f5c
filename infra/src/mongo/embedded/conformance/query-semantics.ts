/**
 * How filters and sorts select and order documents, checked against what a real server answers.
 * Expected results come from the server's own test suite (mongodb/mongo jstests/core, named per
 * case) and the documented BSON comparison order.
 */
import { expect } from 'chai';
import type { Loose, Target } from './target.ts';

const ids = (docs: readonly Loose[]) => docs.map((doc) => doc._id);

/**
 * jstests/core/null_query_semantics.js, without its BSON undefined documents (a JS client cannot
 * send undefined): which documents {$eq: null}, {$ne: null}, $in/$nin with null, $exists and
 * $elemMatch select, on plain values, embedded documents and arrays, top level and dotted.
 */
const nullSemanticsDocs = (): Loose[] => [
  { _id: 'a_empty_subobject', a: {} },
  { _id: 'a_null', a: null },
  { _id: 'a_number', a: 4 },
  { _id: 'a_subobject_b_not_null', a: { b: 'hi' } },
  { _id: 'a_subobject_b_null', a: { b: null } },
  { _id: 'no_a' },
  { _id: 'a_double_array', a: [[]] },
  { _id: 'a_empty_array', a: [] },
  { _id: 'a_object_array_all_b_nulls', a: [{ b: null }, { b: null }, {}] },
  { _id: 'a_object_array_no_b_nulls', a: [{ b: 1 }, { b: 3 }, { b: 'string' }] },
  { _id: 'a_object_array_some_b_nulls', a: [{ b: null }, { b: 3 }, { b: null }] },
  { _id: 'a_object_array_some_b_missing', a: [{ b: 3 }, {}] },
  { _id: 'a_value_array_all_nulls', a: [null, null] },
  { _id: 'a_value_array_no_nulls', a: [1, 'string', 4] },
  { _id: 'a_value_array_with_null', a: [1, 'string', null, 4] },
];

/** What `{a: {$ne: null}}` selects (and `$not: {$gte: null}`, the same set). */
const notNullA = [
  'a_double_array',
  'a_empty_array',
  'a_empty_subobject',
  'a_number',
  'a_object_array_all_b_nulls',
  'a_object_array_no_b_nulls',
  'a_object_array_some_b_missing',
  'a_object_array_some_b_nulls',
  'a_subobject_b_not_null',
  'a_subobject_b_null',
  'a_value_array_no_nulls',
];

const nullSemanticsExpectations: readonly [string, Record<string, unknown>, string[]][] = [
  [
    '{a: {$eq: null}}',
    { a: { $eq: null } },
    ['a_null', 'a_value_array_all_nulls', 'a_value_array_with_null', 'no_a'],
  ],
  ['{a: {$ne: null}}', { a: { $ne: null } }, notNullA],
  ['{a: {$not: {$gte: null}}}', { a: { $not: { $gte: null } } }, notNullA],
  [
    '{a: {$in: [null, 75]}}',
    { a: { $in: [null, 75] } },
    ['a_null', 'a_value_array_all_nulls', 'a_value_array_with_null', 'no_a'],
  ],
  [
    '{a: {$nin: [null, /^str.*/]}}',
    { a: { $nin: [null, /^str.*/] } },
    [
      'a_double_array',
      'a_empty_array',
      'a_empty_subobject',
      'a_number',
      'a_object_array_all_b_nulls',
      'a_object_array_no_b_nulls',
      'a_object_array_some_b_missing',
      'a_object_array_some_b_nulls',
      'a_subobject_b_not_null',
      'a_subobject_b_null',
    ],
  ],
  ['{a: {$exists: false}}', { a: { $exists: false } }, ['no_a']],
  [
    '{a: {$elemMatch: {$eq: null}}}',
    { a: { $elemMatch: { $eq: null } } },
    ['a_value_array_all_nulls', 'a_value_array_with_null'],
  ],
  [
    '{a: {$elemMatch: {$ne: null}}}',
    { a: { $elemMatch: { $ne: null } } },
    [
      'a_double_array',
      'a_object_array_all_b_nulls',
      'a_object_array_no_b_nulls',
      'a_object_array_some_b_missing',
      'a_object_array_some_b_nulls',
      'a_value_array_no_nulls',
      'a_value_array_with_null',
    ],
  ],
  [
    '{"a.b": {$eq: null}}',
    { 'a.b': { $eq: null } },
    [
      'a_empty_subobject',
      'a_null',
      'a_number',
      'a_object_array_all_b_nulls',
      'a_object_array_some_b_missing',
      'a_object_array_some_b_nulls',
      'a_subobject_b_null',
      'no_a',
    ],
  ],
  [
    '{"a.b": {$ne: null}}',
    { 'a.b': { $ne: null } },
    [
      'a_double_array',
      'a_empty_array',
      'a_object_array_no_b_nulls',
      'a_subobject_b_not_null',
      'a_value_array_all_nulls',
      'a_value_array_no_nulls',
      'a_value_array_with_null',
    ],
  ],
  [
    '{"a.b": {$in: [null, 75]}}',
    { 'a.b': { $in: [null, 75] } },
    [
      'a_empty_subobject',
      'a_null',
      'a_number',
      'a_object_array_all_b_nulls',
      'a_object_array_some_b_missing',
      'a_object_array_some_b_nulls',
      'a_subobject_b_null',
      'no_a',
    ],
  ],
  [
    '{"a.b": {$nin: [null, /^str.*/]}}',
    { 'a.b': { $nin: [null, /^str.*/] } },
    [
      'a_double_array',
      'a_empty_array',
      'a_subobject_b_not_null',
      'a_value_array_all_nulls',
      'a_value_array_no_nulls',
      'a_value_array_with_null',
    ],
  ],
  [
    '{"a.b": {$exists: false}}',
    { 'a.b': { $exists: false } },
    [
      'a_double_array',
      'a_empty_array',
      'a_empty_subobject',
      'a_null',
      'a_number',
      'a_value_array_all_nulls',
      'a_value_array_no_nulls',
      'a_value_array_with_null',
      'no_a',
    ],
  ],
  [
    '{a: {$elemMatch: {b: {$eq: null}}}}',
    { a: { $elemMatch: { b: { $eq: null } } } },
    [
      'a_double_array',
      'a_object_array_all_b_nulls',
      'a_object_array_some_b_missing',
      'a_object_array_some_b_nulls',
    ],
  ],
  [
    '{a: {$elemMatch: {b: {$ne: null}}}}',
    { a: { $elemMatch: { b: { $ne: null } } } },
    ['a_object_array_no_b_nulls', 'a_object_array_some_b_missing', 'a_object_array_some_b_nulls'],
  ],
];

export function querySemanticsCases(target: Target): void {
  describe('null and missing (jstests/core/null_query_semantics.js)', () => {
    for (const [label, filter, expected] of nullSemanticsExpectations) {
      it(label, async () => {
        const collection = target.collection('nulls');
        await collection.insertMany(nullSemanticsDocs());
        const found = ids(await collection.find(filter).toArray())
          .map(String)
          .sort();
        expect(found).to.deep.equal([...expected].sort());
      });
    }
  });

  describe('sort order (BSON comparison order, arrays by their extreme element)', () => {
    const docs = (): Loose[] => [
      { _id: 'empty', v: [] },
      { _id: 'missing' },
      { _id: 'null', v: null },
      { _id: 'array', v: [5, 1] },
      { _id: 'number', v: 3 },
      { _id: 'string', v: 'a' },
      { _id: 'nested', v: [[0]] },
    ];

    it('ascending: empty array, then null/missing, numbers by smallest element, strings, arrays', async () => {
      const collection = target.collection('s');
      await collection.insertMany(docs());
      const sorted = ids(await collection.find().sort({ v: 1, _id: 1 }).toArray());
      expect(sorted).to.deep.equal([
        'empty',
        'missing',
        'null',
        'array',
        'number',
        'string',
        'nested',
      ]);
    });

    it('descending: by largest element, empty array last', async () => {
      const collection = target.collection('s');
      await collection.insertMany(docs());
      const sorted = ids(await collection.find().sort({ v: -1, _id: 1 }).toArray());
      expect(sorted).to.deep.equal([
        'nested',
        'string',
        'array',
        'number',
        'missing',
        'null',
        'empty',
      ]);
    });

    it('$natural: -1 is the reverse of insertion order', async () => {
      const collection = target.collection('s');
      await collection.insertMany([{ _id: 2 }, { _id: 1 }, { _id: 3 }]);
      expect(ids(await collection.find().sort({ $natural: -1 }).toArray())).to.deep.equal([
        3, 1, 2,
      ]);
    });
  });

  describe('comparisons (BSON comparison order, type bracketing)', () => {
    it('compare only within a type: numbers with numbers, dates with dates', async () => {
      const collection = target.collection('c');
      await collection.insertMany([
        { _id: 1, v: 5 },
        { _id: 2, v: '6' },
        { _id: 3, v: new Date(0) },
        { _id: 4, v: '1970' },
        { _id: 5, v: [1, 10] },
      ]);
      expect(ids(await collection.find({ v: { $gt: 4 } }).toArray())).to.have.members([1, 5]);
      expect(ids(await collection.find({ v: { $gte: '1' } }).toArray())).to.have.members([2, 4]);
      expect(ids(await collection.find({ v: { $lte: new Date(0) } }).toArray())).to.deep.equal([3]);
      expect(ids(await collection.find({ v: { $gt: 1, $lt: 10 } }).toArray())).to.have.members([
        1, 5,
      ]);
      const inRange = await collection.find({ v: { $elemMatch: { $gt: 1, $lt: 10 } } }).toArray();
      expect(inRange).to.deep.equal([]);
    });

    it('embedded documents are equal only with the same fields in the same order', async () => {
      const collection = target.collection('c');
      await collection.insertOne({ _id: 1, o: { a: 1, b: 2 } });
      expect(await collection.countDocuments({ o: { a: 1, b: 2 } })).to.equal(1);
      expect(await collection.countDocuments({ o: { b: 2, a: 1 } })).to.equal(0);
      expect(await collection.countDocuments({ o: { $in: [{ b: 2, a: 1 }] } })).to.equal(0);
      expect(await collection.countDocuments({ o: { a: 1.0, b: 2 } })).to.equal(1);
    });
  });

  describe('regular expressions (PCRE options i, m, s, x; expression_leaf.cpp codes)', () => {
    const seed = async () => {
      const collection = target.collection('r');
      await collection.insertMany([
        { _id: 1, s: 'ab' },
        { _id: 2, s: 'a\nb' },
        { _id: 3, s: 'AB', tags: ['xa', 'yb'] },
      ]);
      return collection;
    };

    it('x ignores whitespace and comments; s lets a dot match a newline; i ignores case', async () => {
      const collection = await seed();
      const matching = async (regex: string, options: string) =>
        ids(await collection.find({ s: { $regex: regex, $options: options } }).toArray());
      expect(await matching('a b # the letters', 'x')).to.deep.equal([1]);
      expect(await matching('a.b', 's')).to.deep.equal([2]);
      expect(await matching('^ab$', 'i')).to.have.members([1, 3]);
      expect(ids(await collection.find({ tags: { $in: [/^y/, 'zz'] } }).toArray())).to.deep.equal([
        3,
      ]);
    });

    it('an unknown option is 51108, a pattern that does not compile 51091', async () => {
      const collection = await seed();
      const code = (filter: Record<string, unknown>) =>
        collection
          .find(filter)
          .toArray()
          .then(
            () => undefined,
            (e: unknown) => (e as { code?: number }).code,
          );
      expect(await code({ s: { $regex: 'a', $options: 'z' } })).to.equal(51108);
      expect(await code({ s: { $regex: '(' } })).to.equal(51091);
      expect(await collection.countDocuments()).to.equal(3);
    });
  });

  describe('_id lookups', () => {
    it('a repeated value in $in finds the document once and updates it once', async () => {
      const collection = target.collection('c');
      await collection.insertMany([
        { _id: 1, n: 0 },
        { _id: 2, n: 0 },
      ]);
      expect(ids(await collection.find({ _id: { $in: [1, 1, 2] } }).toArray())).to.have.members([
        1, 2,
      ]);
      expect(await collection.countDocuments({ _id: { $in: [1, 1] } })).to.equal(1);
      const result = await collection.updateMany({ _id: { $in: [1, 1] } }, { $inc: { n: 1 } });
      expect(result).to.include({ matchedCount: 1, modifiedCount: 1 });
      expect(await collection.findOne({ _id: 1 })).to.deep.equal({ _id: 1, n: 1 });
    });
  });

  describe('count', () => {
    it('takes a negative limit as its absolute value', async () => {
      const db = target.database();
      await db.collection<Loose>('c').insertMany([{ a: 1 }, { a: 2 }, { a: 3 }]);
      const reply = await db.command({ count: 'c', query: { a: { $gte: 1 } }, limit: -2 });
      expect(reply.n).to.equal(2);
    });
  });
}
