/** Unit checks of the storage engine's building blocks against simple models of them. */
import { expect } from 'chai';
import {
  Binary,
  BSONRegExp,
  BSONSymbol,
  Code,
  DBRef,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
} from 'bson';
import { compareBson } from './bson-order.ts';
import { encodeKey, sameKey } from './key-encoding.ts';
import { SortedList } from './sorted-list.ts';
import { Index } from './index.ts';

describe('embedded MongoDB engine', () => {
  it('SortedList agrees with a sorted array under random inserts and deletes', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const list = new SortedList<number>((a, b) => a - b, 8);
    const model: number[] = [];
    for (let step = 0; step < 5000; step++) {
      const value = Math.floor(random() * 500);
      if (random() < 0.6) {
        list.insert(value);
        model.push(value);
      } else {
        const index = model.indexOf(value);
        expect(list.delete(value)).to.equal(index >= 0);
        if (index >= 0) model.splice(index, 1);
      }
    }
    model.sort((a, b) => a - b);
    expect([...list]).to.deep.equal(model);
    expect(list.size).to.equal(model.length);
    expect([...list.from((v) => v >= 250)]).to.deep.equal(model.filter((v) => v >= 250));
  });

  it('orders values across types as the server does', () => {
    const id = new ObjectId('000000000000000000000001');
    const ordered = [
      new MinKey(),
      null,
      -Infinity,
      1,
      2.5,
      'a',
      'b',
      { a: 1 },
      [1, 2],
      new Binary(Buffer.from([1])),
      id,
      false,
      true,
      new Date(0),
      new Timestamp({ t: 1, i: 1 }),
      /x/,
      new MaxKey(),
    ];
    const shuffled = [...ordered].reverse();
    expect(shuffled.sort(compareBson)).to.deep.equal(ordered);
    expect(compareBson(NaN, -Infinity)).to.be.below(0);
    expect(compareBson('\uffff', '\u{1F600}')).to.be.below(0); // code point order, not UTF-16
  });

  it('encodes equal keys equally and different ones differently', () => {
    expect(encodeKey(1)).to.equal(encodeKey(1.0));
    expect(encodeKey(0)).to.equal(encodeKey(-0));
    expect(encodeKey(new ObjectId('000000000000000000000001'))).to.equal(
      encodeKey(new ObjectId('000000000000000000000001')),
    );
    expect(encodeKey('1')).to.not.equal(encodeKey(1));
    expect(encodeKey({ a: 1, b: 2 })).to.not.equal(encodeKey({ b: 2, a: 1 }));
    expect(encodeKey(null)).to.equal(encodeKey(undefined));
    expect(encodeKey(new Date(5))).to.not.equal(encodeKey(5));
  });

  it('sameKey answers exactly what comparing two encodeKey strings answers', () => {
    const id = new ObjectId('000000000000000000000001');
    const values: unknown[] = [
      ...[null, undefined, 0, -0, 1, 1.5, NaN, 2n ** 60n, Long.fromNumber(1), new Int32(1)],
      ...[new Double(1.5), '1', 'a', new BSONSymbol('a'), true, false, new Date(1), new Date(NaN)],
      ...[/a/i, new BSONRegExp('a', 'i'), id, new ObjectId(id.toHexString()), new MinKey()],
      ...[new Binary(Buffer.from([1])), new Timestamp({ t: 1, i: 1 }), new Code('x')],
      ...[[], [1], [1.0], [1, 2], [2, 1], [[1]], [null], [undefined], [NaN], ['a']],
      ...[{}, { a: 1 }, { a: 1.0 }, { a: null }, { a: undefined }, { b: 1 }, { a: 1, b: 2 }],
      ...[{ b: 2, a: 1 }, { a: [1, { b: 'x' }] }, { a: [1, { b: 'y' }] }, new DBRef('c', id)],
      { $ref: 'c', $id: id },
    ];
    for (const a of values) {
      for (const b of values) {
        const expected = encodeKey(a) === encodeKey(b);
        expect(sameKey(a, b), `${encodeKey(a)} vs ${encodeKey(b)}`).to.equal(expected);
      }
    }
  });

  it('an index scan returns exactly the documents within the bounds, type-bracketed', () => {
    const index = new Index({ v: 2, key: { ticker: 1, t: -1 }, name: 'ticker_1_t_-1' });
    const docs = [
      { _id: 1, ticker: 'A', t: 1 },
      { _id: 2, ticker: 'A', t: 5 },
      { _id: 3, ticker: 'A', t: 9 },
      { _id: 4, ticker: 'A', t: 'late' },
      { _id: 5, ticker: 'B', t: 5 },
      { _id: 6, ticker: 'A' },
    ];
    for (const doc of docs) index.add(doc, String(doc._id));
    const scan = (bounds: Parameters<Index['scan']>[0]) => [...index.scan(bounds)].sort();
    expect(scan({ prefix: ['A'], lower: { value: 5, inclusive: true } })).to.deep.equal(['2', '3']);
    expect(scan({ prefix: ['A'], upper: { value: 5, inclusive: false } })).to.deep.equal(['1']);
    expect(
      scan({
        prefix: ['A'],
        lower: { value: 1, inclusive: false },
        upper: { value: 9, inclusive: true },
      }),
    ).to.deep.equal(['2', '3']);
    expect(scan({ prefix: ['B'] })).to.deep.equal(['5']);
    expect(scan({ prefix: ['A', null] })).to.deep.equal(['6']);
  });

  describe('Index.prepareReplace', () => {
    const unique = () => new Index({ v: 2, key: { u: 1 }, name: 'u_1', unique: true });
    const found = (index: Index, u: unknown) => [...index.scan({ prefix: [u] })];

    it('leaves the entries untouched when the keys are the same (1 and 1.0, other fields)', () => {
      const index = unique();
      index.add({ _id: 1, u: 1, n: 0 }, '1');
      const version = index.version;
      index.prepareReplace({ _id: 1, u: 1, n: 0 }, { _id: 1, u: 1.0, n: 1 }, '1', 'db.c')();
      expect(index.version).to.equal(version);
      expect(found(index, 1)).to.deep.equal(['1']);
      expect(index.lookupUnique([1])).to.equal('1');
    });

    it('marks the index multikey when the same key moves into an array', () => {
      const index = unique();
      index.add({ _id: 1, u: 1 }, '1');
      index.prepareReplace({ _id: 1, u: 1 }, { _id: 1, u: [1] }, '1', 'db.c')();
      expect(index.multikey).to.equal(true);
      expect(found(index, 1)).to.deep.equal(['1']);
    });

    it('moves the entries when a key changes, and refuses a duplicate before changing anything', () => {
      const index = unique();
      index.add({ _id: 1, u: 1 }, '1');
      index.add({ _id: 2, u: 2 }, '2');
      expect(() => index.prepareReplace({ _id: 1, u: 1 }, { _id: 1, u: 2 }, '1', 'db.c'))
        .to.throw()
        .with.property('code', 11000);
      expect(found(index, 1)).to.deep.equal(['1']);
      index.prepareReplace({ _id: 1, u: 1 }, { _id: 1, u: 3 }, '1', 'db.c')();
      expect(found(index, 1)).to.deep.equal([]);
      expect(found(index, 3)).to.deep.equal(['1']);
      expect(index.lookupUnique([1])).to.equal(undefined);
      expect(index.size).to.equal(2);
    });
  });
});
