import { expect } from 'chai';
import { pino } from 'pino';
import { Journal } from './journal.ts';

describe('journal', () => {
  it('reports from close() a final write that failed, instead of swallowing it', async () => {
    // Every write to /dev/full fails with ENOSPC: a disk that filled up under the journal.
    const journal = new Journal('/dev/full', pino({ level: 'silent' }));
    journal.append({ op: 'put', db: 'app', coll: 'c', doc: { _id: 1 } });
    const error = await journal.close().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as NodeJS.ErrnoException | undefined)?.code).to.equal('ENOSPC');
  });
});
