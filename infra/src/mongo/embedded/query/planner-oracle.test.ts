/**
 * The planner against an oracle: the same random documents in a collection without secondary
 * indexes (every query a scan plus an in-memory sort) and in one with them. Every query must
 * give the same documents, and sorted queries the same sequence of sort values, whatever plan
 * (hash lookup, range scan, index order forwards or backwards, early stop at the limit) runs.
 */
import { expect } from 'chai';
import type { Document } from 'bson';
import { Catalog } from '../engine/catalog.ts';
import { parseIndexSpec } from '../engine/index-keys.ts';
import { Operation } from '../server/operation.ts';
import { runQuery, newPlanStats } from './execute.ts';
import type { SortField } from './sort.ts';

describe('embedded MongoDB planner vs a scan oracle', () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;

  const tickers = ['A', 'B', 'C', 'D'];
  const docs: Document[] = Array.from({ length: 400 }, (_, i) => ({
    _id: i,
    email: `u${i}@x.io`,
    ticker: pick(tickers),
    t: Math.floor(random() * 100),
    ...(random() < 0.2 ? {} : { price: Math.round(random() * 1000) / 10 }),
    ...(random() < 0.1 ? { t: 'late' } : {}),
  }));
  const catalog = new Catalog();
  const plain = catalog.ensureCollection('db', 'plain');
  const indexed = catalog.ensureCollection('db', 'indexed');
  indexed.createIndex(parseIndexSpec({ key: { email: 1 }, unique: true }));
  indexed.createIndex(parseIndexSpec({ key: { ticker: 1, t: -1 } }));
  indexed.createIndex(parseIndexSpec({ key: { price: 1 } }));
  for (const doc of docs) {
    plain.insert({ ...doc });
    indexed.insert({ ...doc });
  }

  const filters = (): Document[] => [
    {},
    { email: `u${String(Math.floor(random() * 450))}@x.io` },
    { ticker: pick(tickers) },
    { ticker: pick(tickers), t: { $gte: Math.floor(random() * 100) } },
    { ticker: pick(tickers), t: { $gt: 10, $lte: 60 } },
    { ticker: { $in: [pick(tickers), pick(tickers)] } },
    { price: { $lt: random() * 100 } },
    { price: { $gte: 50 }, ticker: pick(tickers) },
    { $and: [{ ticker: pick(tickers) }, { t: { $lt: 50 } }] },
  ];
  const sorts: (SortField[] | undefined)[] = [
    undefined,
    [{ path: 't', direction: -1 }],
    [{ path: 't', direction: 1 }],
    [
      { path: 'ticker', direction: 1 },
      { path: 't', direction: -1 },
    ],
    [
      { path: 'ticker', direction: -1 },
      { path: 't', direction: 1 },
    ],
    [{ path: 'price', direction: 1 }],
    [{ path: 'price', direction: -1 }],
  ];

  it('agrees on 500 random queries', async () => {
    let indexedPlans = 0;
    for (let round = 0; round < 500; round++) {
      const filter = pick(filters());
      const sort = pick(sorts);
      const limit = pick([0, 1, 5, 20]);
      const skip = pick([0, 0, 3]);
      const options = { sort, limit, skip };
      const expected = await runQuery(plain, filter, new Operation(), options);
      const stats = newPlanStats();
      const actual = await runQuery(indexed, filter, new Operation(), options, stats);
      if (stats.stage !== 'COLLSCAN') indexedPlans++;
      const describe = JSON.stringify({ filter, sort, limit, skip, plan: stats.stage });
      if (sort) {
        const keys = (list: Document[]) =>
          list.map((d) => sort.map((s) => (d[s.path] as unknown) ?? null));
        expect(keys(actual), describe).to.deep.equal(keys(expected));
        // Equal sort values may come in any order, so documents are compared only when none is cut.
        if (limit === 0 && skip === 0) expect(ids(actual), describe).to.deep.equal(ids(expected));
      } else if (limit === 0 && skip === 0) {
        expect(ids(actual), describe).to.deep.equal(ids(expected));
      } else {
        expect(actual.length, describe).to.equal(expected.length);
      }
    }
    expect(indexedPlans).to.be.above(250);
  });

  it('stops at the limit when the index gives the order', async () => {
    const stats = newPlanStats();
    const latest = await runQuery(
      indexed,
      { ticker: 'B' },
      new Operation(),
      { sort: [{ path: 't', direction: -1 }], limit: 1 },
      stats,
    );
    expect(stats).to.include({ stage: 'IXSCAN', indexName: 'ticker_1_t_-1', docsExamined: 1 });
    const [expected] = await runQuery(plain, { ticker: 'B' }, new Operation(), {
      sort: [{ path: 't', direction: -1 }],
      limit: 1,
    });
    expect(latest[0]?.t).to.equal(expected?.t);
  });
});

function ids(list: Document[]): unknown[] {
  return list.map((d) => d._id as unknown).sort((a, b) => Number(a) - Number(b));
}
