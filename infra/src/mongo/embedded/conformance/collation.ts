/**
 * Collations: `simple` (binary) and English at strengths 1 to 3, in every command that takes
 * one and in unique indexes; malformed specs refused with the server's codes; what this server
 * does not implement refused (238) instead of compared binarily. Sources:
 *  - manual, "Collation" (https://www.mongodb.com/docs/manual/reference/collation/): strength 1
 *    compares base characters only, 2 adds diacritics, 3 (the default) adds case;
 *  - manual, "Case-Insensitive Indexes"
 *    (https://www.mongodb.com/docs/manual/core/index-case-insensitive/): a strength-2 index
 *    serves queries with the same collation; a unique one holds one of 'a@x' and 'A@x';
 *  - manual, "Collation" > "Operations that Support Collation" (find, count, distinct,
 *    update, delete, findAndModify, aggregate, createIndexes);
 *  - src/mongo/db/query/collation/collator_factory_icu.cpp (makeFromBSON,
 *    parseToCollationSpec, validateLocaleID): the error codes of malformed specs.
 */
import { expect } from 'chai';
import type { CollationOptions, Document } from 'mongodb';
import { serverError, type Target } from './target.ts';

export function collationCases(target: Target): void {
  const caseless = { locale: 'en', strength: 2 };
  const people = () => [
    { _id: 1, name: 'anne' },
    { _id: 2, name: 'Anne' },
    { _id: 3, name: 'Ånne' },
    { _id: 4, name: 'bob' },
    { _id: 5, name: 'Bob' },
  ];

  it('a unique index at strength 2 refuses a case variant (E11000) and keeps one document', async () => {
    const users = target.collection('users');
    await users.createIndex({ email: 1 }, { unique: true, collation: caseless }, undefined);
    await users.insertOne({ _id: 1, email: 'a@x' });
    const error = await serverError(users.insertOne({ _id: 2, email: 'A@x' }));
    expect(error.code).to.equal(11000);
    await users.insertOne({ _id: 3, email: 'b@x' });
    const update = users.updateOne({ _id: 3 }, { $set: { email: 'A@X' } });
    expect((await serverError(update)).code).to.equal(11000);
    expect(await users.find().sort({ _id: 1 }).toArray()).to.deep.equal([
      { _id: 1, email: 'a@x' },
      { _id: 3, email: 'b@x' },
    ]);
    // A binary query does not see the case variant; one with the index's collation does.
    expect(await users.countDocuments({ email: 'A@x' })).to.equal(0);
    expect(await users.countDocuments({ email: 'A@x' }, { collation: caseless })).to.equal(1);
  });

  it('listIndexes shows the index collation with every option filled in', async () => {
    const users = target.collection('users');
    await users.createIndex({ email: 1 }, { unique: true, collation: caseless }, undefined);
    const indexes = (await users.listIndexes().toArray()) as Document[];
    const index = indexes.find((spec) => spec.name === 'email_1');
    expect(index?.collation).to.include({
      locale: 'en',
      caseLevel: false,
      caseFirst: 'off',
      strength: 2,
      numericOrdering: false,
      alternate: 'non-ignorable',
      maxVariable: 'punct',
      normalization: false,
      backwards: false,
    });
  });

  it('find, count and distinct at strength 2 ignore case but not accents; strength 1 ignores both', async () => {
    const c = target.collection('people');
    await c.insertMany(people());
    const ids = async (filter: object, collation: CollationOptions) =>
      (await c.find(filter, { collation }).sort({ _id: 1 }).toArray()).map((d) => d._id);
    expect(await ids({ name: 'ANNE' }, caseless)).to.deep.equal([1, 2]);
    expect(await ids({ name: 'ANNE' }, { locale: 'en', strength: 1 })).to.deep.equal([1, 2, 3]);
    expect(await ids({ name: { $in: ['BOB'] } }, caseless)).to.deep.equal([4, 5]);
    expect(await ids({ name: { $ne: 'anne' } }, caseless)).to.deep.equal([3, 4, 5]);
    expect(await ids({ name: { $gt: 'ANNE', $lt: 'BOB' } }, caseless)).to.deep.equal([3]);
    expect(await c.countDocuments({ name: 'bOb' }, { collation: caseless })).to.equal(2);
    const names = await c.distinct('name', {}, { collation: caseless });
    expect(names.map((n: string) => n.toLowerCase())).to.deep.equal(['anne', 'ånne', 'bob']);
  });

  it('sort follows the collation: strength 3 puts lower case first, binary puts capitals first', async () => {
    const c = target.collection('people');
    await c.insertMany(people());
    const order = async (collation?: CollationOptions) =>
      (
        await c
          .find({}, collation ? { collation } : {})
          .sort({ name: 1 })
          .toArray()
      ).map((d) => d.name as string);
    expect(await order({ locale: 'en' })).to.deep.equal(['anne', 'Anne', 'Ånne', 'bob', 'Bob']);
    expect(await order()).to.deep.equal(['Anne', 'Bob', 'anne', 'bob', 'Ånne']);
  });

  it('find projections match by the collation: $elemMatch and the positional $', async () => {
    const c = target.collection('orders');
    await c.insertOne({ _id: 1, items: [{ t: 'Red' }, { t: 'green' }] });
    const options = { collation: caseless };
    expect(
      await c.findOne({ 'items.t': 'GREEN' }, { ...options, projection: { 'items.$': 1 } }),
    ).to.deep.equal({ _id: 1, items: [{ t: 'green' }] });
    const projection = { items: { $elemMatch: { t: 'RED' } } };
    expect(await c.findOne({}, { ...options, projection })).to.deep.equal({
      _id: 1,
      items: [{ t: 'Red' }],
    });
  });

  it('update, delete and findAndModify select by the collation', async () => {
    const c = target.collection('people');
    await c.insertMany(people());
    const updated = await c.updateMany(
      { name: 'ANNE' },
      { $set: { seen: true } },
      { collation: caseless },
    );
    expect(updated.modifiedCount).to.equal(2);
    const found = await c.findOneAndUpdate(
      { name: 'BOB' },
      { $set: { seen: true } },
      { collation: caseless, sort: { _id: -1 }, returnDocument: 'after' },
    );
    expect(found).to.deep.equal({ _id: 5, name: 'Bob', seen: true });
    const deleted = await c.deleteMany({ name: 'bob' }, { collation: caseless });
    expect(deleted.deletedCount).to.equal(2);
    expect(await c.countDocuments({ seen: true })).to.equal(2);
  });

  it('aggregate matches, groups and sorts by the collation', async () => {
    const c = target.collection('people');
    await c.insertMany(people());
    const groups = await c
      .aggregate(
        [
          { $match: { name: { $ne: 'ÅNNE' } } },
          { $group: { _id: { $toLower: '$name' }, n: { $sum: 1 } } },
          { $sort: { _id: 1 } },
        ],
        { collation: caseless },
      )
      .toArray();
    expect(groups).to.deep.equal([
      { _id: 'anne', n: 2 },
      { _id: 'bob', n: 2 },
    ]);
    const grouped = await c
      .aggregate(
        [
          { $group: { _id: '$name', n: { $sum: 1 } } },
          { $project: { _id: 0, n: 1 } },
          { $sort: { n: -1 } },
        ],
        { collation: caseless },
      )
      .toArray();
    // 'anne'/'Anne' and 'bob'/'Bob' are one group each; 'Ånne' differs by its accent.
    expect(grouped.map((g) => g.n as number)).to.deep.equal([2, 2, 1]);
    const [compared] = await c
      .aggregate(
        [{ $match: { _id: 2 } }, { $project: { _id: 0, same: { $eq: ['$name', 'ANNE'] } } }],
        {
          collation: caseless,
        },
      )
      .toArray();
    expect(compared).to.deep.equal({ same: true });
  });

  it("collation { locale: 'simple' } is binary comparison, accepted everywhere", async () => {
    const c = target.collection('people');
    await c.insertMany(people());
    const collation = { locale: 'simple' };
    expect(await c.countDocuments({ name: 'anne' }, { collation })).to.equal(1);
    expect(await c.find({ name: 'Anne' }, { collation }).toArray()).to.deep.equal([
      { _id: 2, name: 'Anne' },
    ]);
  });

  // makeFromBSON reads the spec with the strict IDL parser, then validateLocaleID and
  // validateCollationSpec (collator_factory_icu.cpp). The IDL parser's codes are the generic
  // ones (idl/idl_parser.cpp: missing field 40414, unknown field 40415, bad enumeration value
  // BadValue 2); before the IDL parser (4.x) they were FailedToParse (9), hence the pairs.
  it('malformed collations are refused with the server codes, and nothing is written', async () => {
    const c = target.collection('people');
    await c.insertOne({ _id: 1, name: 'x' });
    const attempts: [Document, number[]][] = [
      [{ strength: 2 }, [40414, 4]], // locale missing
      [{ locale: 'en', bogus: 1 }, [40415, 9]], // unknown field
      [{ locale: 'en', caseFirst: 'sideways' }, [2, 9]], // not an enumeration value
      [{ locale: 'en', strength: 1, caseFirst: 'upper' }, [2]], // validateCollationSpec
      [{ locale: 'en', strength: 1, backwards: true }, [2]], // validateCollationSpec
      [{ locale: 'xx_invalid' }, [2]], // validateLocaleID: "Field 'locale' is invalid"
      [{ locale: 'en', version: '1.0' }, [161]], // IncompatibleCollationVersion
    ];
    for (const [collation, codes] of attempts) {
      const updates = [{ q: { _id: 1 }, u: { $set: { y: 1 } }, collation }];
      const error = await serverError(target.database().command({ update: 'people', updates }));
      expect(codes, JSON.stringify(collation)).to.include(error.code);
    }
    expect(await c.findOne({ _id: 1 })).to.deep.equal({ _id: 1, name: 'x' });
    const indexes = [{ key: { name: 1 }, name: 'name_1', collation: { locale: 'en', bogus: 1 } }];
    const error = await serverError(
      target.database().command({ createIndexes: 'people', indexes }),
    );
    expect([40415, 9]).to.include(error.code);
  });

  it('collations mongod implements and this server does not are refused (238), nothing written', async function () {
    if (!target.embedded) this.skip(); // mongod implements them all
    const c = target.collection('people');
    await c.insertMany(people());
    const attempts: (() => Promise<unknown>)[] = [
      () => c.find({ name: 'anne' }, { collation: { locale: 'fr', strength: 1 } }).toArray(),
      () => c.find({}, { collation: { locale: 'en', numericOrdering: true } }).toArray(),
      () => c.countDocuments({}, { collation: { locale: 'en', strength: 4 } }),
      () => c.updateOne({ name: 'anne' }, { $addToSet: { tags: 'x' } }, { collation: caseless }),
      () =>
        c.updateOne(
          { name: 'anne' },
          { $set: { 'tags.$[e]': 1 } },
          { collation: caseless, arrayFilters: [{ e: 'x' }] },
        ),
      () =>
        c
          .aggregate([{ $bucketAuto: { groupBy: '$name', buckets: 2 } }], { collation: caseless })
          .toArray(),
      () =>
        c.createIndex(
          { name: 1 },
          { collation: { locale: 'en', alternate: 'shifted' } },
          undefined,
        ),
    ];
    for (const attempt of attempts) expect((await serverError(attempt())).code).to.equal(238);
    expect(await c.countDocuments({ tags: { $exists: true } })).to.equal(0);
    expect(await c.listIndexes().toArray()).to.have.length(1);
  });
}
