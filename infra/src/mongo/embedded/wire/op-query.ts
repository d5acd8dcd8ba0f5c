/**
 * OP_QUERY (2004) and its OP_REPLY (1): kept only for the handshake. Drivers send their first
 * `isMaster`/`hello` this way because they do not yet know the server speaks OP_MSG; servers
 * since 5.1 refuse every other OP_QUERY command, and so do we (UnsupportedOpQueryCommand).
 */
import type { Document } from 'bson';
import { bsonLengthAt, decodeDocument, encodeDocument } from './bson-codec.ts';
import { HEADER_BYTES, OpCode } from './constants.ts';
import { ProtocolError } from './protocol-error.ts';

export interface OpQueryRequest {
  readonly requestId: number;
  /** `<db>.$cmd` for commands. */
  readonly fullCollectionName: string;
  readonly query: Document;
}

export function decodeOpQuery(frame: Buffer): OpQueryRequest {
  const requestId = frame.readInt32LE(4);
  const nameStart = HEADER_BYTES + 4;
  const nul = frame.indexOf(0, nameStart);
  if (nul < 0) throw new ProtocolError('OP_QUERY collection name is not terminated');
  const fullCollectionName = frame.toString('utf8', nameStart, nul);
  const queryStart = nul + 1 + 8; // numberToSkip, numberToReturn
  const length = bsonLengthAt(frame, queryStart, frame.length, 'OP_QUERY query');
  const query = decodeDocument(frame.subarray(queryStart, queryStart + length), 'OP_QUERY query');
  const selectorStart = queryStart + length;
  if (selectorStart < frame.length) {
    const selectorLength = bsonLengthAt(frame, selectorStart, frame.length, 'OP_QUERY selector');
    if (selectorStart + selectorLength !== frame.length)
      throw new ProtocolError('OP_QUERY has trailing bytes');
    decodeDocument(frame.subarray(selectorStart, frame.length), 'OP_QUERY selector');
  }
  return { requestId, fullCollectionName, query };
}

export function encodeOpReply(requestId: number, responseTo: number, reply: Document): Buffer {
  const body = encodeDocument(reply);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + 20 + body.length);
  frame.writeInt32LE(frame.length, 0);
  frame.writeInt32LE(requestId, 4);
  frame.writeInt32LE(responseTo, 8);
  frame.writeInt32LE(OpCode.OP_REPLY, 12);
  frame.writeInt32LE(0, 16); // responseFlags
  frame.writeBigInt64LE(0n, 20); // cursorID
  frame.writeInt32LE(0, 28); // startingFrom
  frame.writeInt32LE(1, 32); // numberReturned
  frame.set(body, 36);
  return frame;
}
