/**
 * OP_MSG (opcode 2013), the message every modern command travels in (specifications
 * source/message/OP_MSG.md): flag bits, one kind-0 body section and any number of kind-1
 * document sequences, which the driver uses for the documents/updates/deletes of bulk writes.
 * Sequences are folded into the body under their identifier, so commands see one document.
 */
import type { Document } from 'bson';
import { bsonLengthAt, decodeDocument, encodeDocument } from './bson-codec.ts';
import { HEADER_BYTES, MsgFlags, OpCode, SectionKind } from './constants.ts';
import { crc32c } from './crc32c.ts';
import { ProtocolError } from './protocol-error.ts';

export interface OpMsgRequest {
  readonly requestId: number;
  /** The client expects no reply (unacknowledged write, `w: 0`). */
  readonly moreToCome: boolean;
  readonly command: Document;
}

const KNOWN_REQUIRED_BITS = MsgFlags.checksumPresent | MsgFlags.moreToCome;

export function decodeOpMsg(frame: Buffer): OpMsgRequest {
  const requestId = frame.readInt32LE(4);
  if (frame.length < HEADER_BYTES + 4 + 1)
    throw new ProtocolError('OP_MSG too short for flags and a section');
  const flags = frame.readUInt32LE(HEADER_BYTES);
  const unknownRequired = flags & MsgFlags.requiredMask & ~KNOWN_REQUIRED_BITS;
  if (unknownRequired !== 0) {
    throw new ProtocolError(
      `OP_MSG has unknown required flag bits 0x${unknownRequired.toString(16)}`,
    );
  }
  let end = frame.length;
  if (flags & MsgFlags.checksumPresent) {
    end -= 4;
    const expected = frame.readUInt32LE(end);
    if (crc32c(frame.subarray(0, end)) !== expected)
      throw new ProtocolError('OP_MSG checksum mismatch');
  }

  let body: Document | undefined;
  const sequences = new Map<string, Document[]>();
  let offset = HEADER_BYTES + 4;
  while (offset < end) {
    const kind = frame[offset++];
    if (kind === SectionKind.body) {
      if (body) throw new ProtocolError('OP_MSG has more than one body section');
      const length = bsonLengthAt(frame, offset, end, 'OP_MSG body');
      body = decodeDocument(frame.subarray(offset, offset + length), 'OP_MSG body');
      offset += length;
    } else if (kind === SectionKind.documentSequence) {
      const [identifier, documents, next] = readSequence(frame, offset, end);
      if (sequences.has(identifier))
        throw new ProtocolError(`OP_MSG repeats sequence '${identifier}'`);
      sequences.set(identifier, documents);
      offset = next;
    } else {
      throw new ProtocolError(`OP_MSG section kind ${kind} is unknown`);
    }
  }
  if (!body) throw new ProtocolError('OP_MSG has no body section');
  for (const [identifier, documents] of sequences) {
    if (identifier in body)
      throw new ProtocolError(`OP_MSG field '${identifier}' is both in the body and a sequence`);
    body[identifier] = documents;
  }
  return { requestId, moreToCome: (flags & MsgFlags.moreToCome) !== 0, command: body };
}

function readSequence(frame: Buffer, start: number, end: number): [string, Document[], number] {
  if (start + 4 > end) throw new ProtocolError('OP_MSG document sequence truncated');
  const size = frame.readInt32LE(start);
  const sequenceEnd = start + size;
  if (size < 5 || sequenceEnd > end)
    throw new ProtocolError(`OP_MSG document sequence size ${size} overruns the message`);
  const nul = frame.indexOf(0, start + 4);
  if (nul < 0 || nul >= sequenceEnd)
    throw new ProtocolError('OP_MSG sequence identifier is not terminated');
  const identifier = frame.toString('utf8', start + 4, nul);
  const documents: Document[] = [];
  let offset = nul + 1;
  while (offset < sequenceEnd) {
    const length = bsonLengthAt(frame, offset, sequenceEnd, `OP_MSG sequence '${identifier}'`);
    documents.push(
      decodeDocument(frame.subarray(offset, offset + length), `OP_MSG sequence '${identifier}'`),
    );
    offset += length;
  }
  return [identifier, documents, sequenceEnd];
}

/** A reply: flags 0 (never moreToCome: exhaust cursors are not offered) and one body section. */
export function encodeOpMsg(requestId: number, responseTo: number, reply: Document): Buffer {
  const body = encodeDocument(reply);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + 4 + 1 + body.length);
  frame.writeInt32LE(frame.length, 0);
  frame.writeInt32LE(requestId, 4);
  frame.writeInt32LE(responseTo, 8);
  frame.writeInt32LE(OpCode.OP_MSG, 12);
  frame.writeUInt32LE(0, 16);
  frame[20] = SectionKind.body;
  frame.set(body, 21);
  return frame;
}
