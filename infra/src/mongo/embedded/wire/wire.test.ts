/** The framing layer: frames split across TCP chunks, OP_MSG sections, checksums. */
import { expect } from 'chai';
import { BSON } from 'bson';
import { FrameSplitter } from './frame-splitter.ts';
import { decodeOpMsg } from './op-msg.ts';
import { crc32c } from './crc32c.ts';
import { ProtocolError } from './protocol-error.ts';

function opMsg(flags: number, sections: Buffer[], checksum = false): Buffer {
  const body = Buffer.concat([Buffer.alloc(4), ...sections]);
  body.writeUInt32LE(flags, 0);
  const header = Buffer.alloc(16);
  const length = 16 + body.length + (checksum ? 4 : 0);
  header.writeInt32LE(length, 0);
  header.writeInt32LE(11, 4);
  header.writeInt32LE(2013, 12);
  const message = Buffer.concat([header, body]);
  if (!checksum) return message;
  const sum = Buffer.alloc(4);
  sum.writeUInt32LE(crc32c(message), 0);
  return Buffer.concat([message, sum]);
}

function sequence(identifier: string, docs: object[]): Buffer {
  const payload = Buffer.concat([
    Buffer.from(`${identifier}\0`),
    ...docs.map((d) => Buffer.from(BSON.serialize(d))),
  ]);
  const size = Buffer.alloc(4);
  size.writeInt32LE(4 + payload.length, 0);
  return Buffer.concat([Buffer.from([1]), size, payload]);
}

const body = (doc: object) => Buffer.concat([Buffer.from([0]), Buffer.from(BSON.serialize(doc))]);

describe('embedded MongoDB wire framing', () => {
  it('reassembles frames split at every byte and several frames in one chunk', () => {
    const one = opMsg(0, [body({ ping: 1, $db: 'admin' })]);
    const splitter = new FrameSplitter();
    const frames: Buffer[] = [];
    for (const byte of Buffer.concat([one, one]))
      frames.push(...splitter.push(Buffer.from([byte])));
    expect(frames.map((f) => f.equals(one))).to.deep.equal([true, true]);
    expect(new FrameSplitter().push(Buffer.concat([one, one, one.subarray(0, 5)]))).to.have.length(
      2,
    );
  });

  it('folds kind-1 document sequences into the command and checks CRC-32C', () => {
    const message = opMsg(
      1 | 2,
      [body({ insert: 'c', $db: 'app' }), sequence('documents', [{ _id: 1 }, { _id: 2 }])],
      true,
    );
    const decoded = decodeOpMsg(message);
    expect(decoded.moreToCome).to.equal(true);
    expect(decoded.command).to.deep.equal({
      insert: 'c',
      $db: 'app',
      documents: [{ _id: 1 }, { _id: 2 }],
    });
    message.writeUInt8((message.at(-1) ?? 0) ^ 1, message.length - 1);
    expect(() => decodeOpMsg(message)).to.throw(ProtocolError, /checksum/);
  });

  it('rejects two bodies, a missing body and a field both in the body and a sequence', () => {
    expect(() => decodeOpMsg(opMsg(0, [body({ a: 1 }), body({ b: 1 })]))).to.throw(
      ProtocolError,
      /more than one body/,
    );
    expect(() => decodeOpMsg(opMsg(0, [sequence('documents', [{}])]))).to.throw(
      ProtocolError,
      /no body/,
    );
    expect(() =>
      decodeOpMsg(opMsg(0, [body({ documents: [] }), sequence('documents', [{}])])),
    ).to.throw(ProtocolError, /both/);
  });
});
