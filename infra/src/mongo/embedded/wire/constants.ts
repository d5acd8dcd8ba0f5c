/**
 * Wire protocol numbers in one place (MongoDB wire protocol reference; specifications
 * source/message/OP_MSG.md). Limits are the values a real server advertises in `hello`.
 */

export const OpCode = {
  OP_REPLY: 1,
  OP_QUERY: 2004,
  OP_COMPRESSED: 2012,
  OP_MSG: 2013,
} as const;

/** Every message starts with messageLength, requestID, responseTo, opCode: four int32s. */
export const HEADER_BYTES = 16;

export const Limits = {
  /** Largest document a client may send or receive (16 MiB), as mongod advertises. */
  maxBsonObjectSize: 16 * 1024 * 1024,
  /** Largest whole message (48 MB, decimal as in mongod); a longer length field closes the connection. */
  maxMessageSizeBytes: 48_000_000,
  /** Deepest stored document (levels, the document itself being 1), as mongod enforces. */
  maxStoredDepth: 100,
  /** Deepest command mongod accepts on the wire (its maxBSONDepth parameter). */
  maxCommandDepth: 200,
  /** Most operations one write command may carry; drivers split bigger batches. */
  maxWriteBatchSize: 100_000,
} as const;

/** OP_MSG flag bits (OP_MSG.md "Flag Bits"). */
export const MsgFlags = {
  checksumPresent: 1 << 0,
  moreToCome: 1 << 1,
  exhaustAllowed: 1 << 16,
  /** Bits 0-15 are "required": a parser must fail on any it does not know. */
  requiredMask: 0xffff,
} as const;

/** OP_MSG section kinds. */
export const SectionKind = {
  body: 0,
  documentSequence: 1,
} as const;
