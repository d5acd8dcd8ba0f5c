import { expect } from 'chai';
import { createWriteBatcher } from './write-batcher.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A batcher whose writes are recorded; each write takes a millisecond. */
function recording(options: { lingerMs: number; maxItems: number; fail?: boolean }) {
  const writes: number[][] = [];
  const batcher = createWriteBatcher<number>(async (items) => {
    writes.push([...items]);
    await sleep(1);
    if (options.fail) throw new Error('write failed');
  }, options);
  return { writes, batcher };
}

describe('read-model write batcher', () => {
  it('gathers the items of its linger window, apart over several turns, into one write', async () => {
    const { writes, batcher } = recording({ lingerMs: 40, maxItems: 100 });
    const acked = [batcher.add(1)];
    await sleep(5);
    acked.push(batcher.add(2));
    await sleep(5);
    acked.push(batcher.add(3));
    expect(writes).to.deep.equal([]);
    await Promise.all(acked);
    expect(writes).to.deep.equal([[1, 2, 3]]);
    // The next item starts a window of its own.
    await batcher.add(4);
    expect(writes).to.deep.equal([[1, 2, 3], [4]]);
    expect(batcher.batches).to.equal(2);
  });

  it('writes a full batch at once, without waiting out the linger', async () => {
    const { writes, batcher } = recording({ lingerMs: 60_000, maxItems: 3 });
    await Promise.all([batcher.add(1), batcher.add(2), batcher.add(3)]);
    expect(writes).to.deep.equal([[1, 2, 3]]);
    // The full batch's timer is gone: this one waits for its own (not written yet).
    void batcher.add(4);
    await sleep(20);
    expect(writes).to.have.length(1);
  });

  it('without a linger, writes what was added in the same turn of the event loop', async () => {
    const { writes, batcher } = recording({ lingerMs: 0, maxItems: 100 });
    await Promise.all([batcher.add(1), batcher.add(2)]);
    await batcher.add(3);
    expect(writes).to.deep.equal([[1, 2], [3]]);
  });

  it('rejects every item of a failed write, so each delivery is retried', async () => {
    const { batcher } = recording({ lingerMs: 5, maxItems: 100, fail: true });
    const results = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
  });
});
