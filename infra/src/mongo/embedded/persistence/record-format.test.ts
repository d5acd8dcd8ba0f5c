/** Journal framing: complete records read back, torn tails cut, corruption refused. */
import { expect } from 'chai';
import { encodeRecord, readRecords } from './record-format.ts';

describe('embedded MongoDB record format', () => {
  const records = [
    { op: 'put', n: 1 },
    { op: 'put', n: 2 },
    { op: 'delete', n: 3 },
  ];
  const file = Buffer.concat(records.map(encodeRecord));

  it('reads back every record', () => {
    expect(readRecords(file, 'f')).to.deep.equal({
      records,
      validBytes: file.length,
      tornBytes: 0,
    });
  });

  it('treats a partial last record, or zeros after the end, as a torn tail', () => {
    const last = encodeRecord({ op: 'put', n: 4 });
    for (const cut of [1, 7, 9, last.length - 1]) {
      const torn = Buffer.concat([file, last.subarray(0, cut)]);
      expect(readRecords(torn, 'f')).to.include({ validBytes: file.length, tornBytes: cut });
    }
    const zeros = Buffer.concat([file, Buffer.alloc(4096)]);
    expect(readRecords(zeros, 'f').records).to.deep.equal(records);
  });

  it('refuses a damaged record followed by good ones', () => {
    const damaged = Buffer.from(file);
    damaged[10] = (damaged[10] ?? 0) ^ 1;
    expect(() => readRecords(damaged, 'journal-1')).to.throw(
      /journal-1: checksum mismatch at byte 0/,
    );
  });
});
