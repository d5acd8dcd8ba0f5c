/**
 * The one place BSON options are chosen for the wire. Incoming values are promoted the way the
 * driver promotes them (int32/double → number, int64 → number when exactly representable), so
 * the query engine sees plain JS values; what cannot be promoted exactly is refused later
 * (query/supported-values.ts). Replies omit undefined fields instead of writing nulls.
 */
import { BSON, type Document } from 'bson';
import { ProtocolError } from './protocol-error.ts';

const deserializeOptions = {
  promoteLongs: true,
  promoteValues: true,
  promoteBuffers: false,
  // Kept exact (pattern and options as sent): bson's RegExp conversion turns `s` into `g` and
  // drops `x`. Queries convert them with the server's rules (query/regex.ts).
  bsonRegExp: true,
  validation: { utf8: true },
} as const;

/** Decodes one BSON document that must fill `bytes` exactly; any defect is a protocol error. */
export function decodeDocument(bytes: Uint8Array, what: string): Document {
  if (bytes.length < 5)
    throw new ProtocolError(`${what}: ${bytes.length} bytes cannot hold a BSON document`);
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true);
  if (declared !== bytes.length) {
    throw new ProtocolError(
      `${what}: BSON length ${declared} does not match its ${bytes.length} bytes`,
    );
  }
  try {
    return BSON.deserialize(bytes, deserializeOptions);
  } catch (error) {
    throw new ProtocolError(`${what}: invalid BSON (${(error as Error).message})`, {
      cause: error,
    });
  }
}

export function encodeDocument(doc: Document): Uint8Array {
  return BSON.serialize(doc, { ignoreUndefined: true });
}

/** Reads the int32 length prefix of the BSON document at `offset`, or throws if it cannot fit. */
export function bsonLengthAt(buffer: Buffer, offset: number, end: number, what: string): number {
  if (offset + 4 > end) throw new ProtocolError(`${what}: truncated before a BSON length`);
  const length = buffer.readInt32LE(offset);
  if (length < 5 || offset + length > end) {
    throw new ProtocolError(`${what}: BSON length ${length} overruns the message`);
  }
  return length;
}
