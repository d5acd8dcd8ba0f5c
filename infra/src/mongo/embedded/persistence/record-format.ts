/**
 * The on-disk record framing shared by journals and snapshots:
 *
 *   [payload length: uint32 LE][CRC-32 of payload: uint32 LE][payload: one BSON document]
 *
 * The checksum lets recovery tell a complete record from one torn by a crash mid-write. A bad
 * record at the end of a file (nothing but it, or zeros, after it) is a torn tail and is cut
 * off; a bad record followed by good data is corruption, which recovery refuses to paper over.
 */
import { crc32 } from 'node:zlib';
import { BSON, type Document } from 'bson';

const FRAME_HEADER = 8;

export function encodeRecord(record: Document): Buffer {
  const payload = BSON.serialize(record);
  const frame = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  frame.set(payload, FRAME_HEADER);
  return frame;
}

export interface ReadResult {
  readonly records: Document[];
  /** Bytes holding complete, valid records; everything after them is to be discarded. */
  readonly validBytes: number;
  /** Set when a torn tail was found after `validBytes`. */
  readonly tornBytes: number;
}

export class CorruptFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptFileError';
  }
}

/** Reads every complete record; throws CorruptFileError when a bad record is followed by data. */
export function readRecords(data: Buffer, file: string): ReadResult {
  const records: Document[] = [];
  let offset = 0;
  while (offset < data.length) {
    const problem = checkRecord(data, offset);
    if (problem) {
      if (isTornTail(data, offset, problem.end)) {
        return { records, validBytes: offset, tornBytes: data.length - offset };
      }
      throw new CorruptFileError(
        `${file}: ${problem.reason} at byte ${offset}, followed by more data`,
      );
    }
    const length = data.readUInt32LE(offset);
    const payload = data.subarray(offset + FRAME_HEADER, offset + FRAME_HEADER + length);
    records.push(
      BSON.deserialize(payload, {
        promoteLongs: true,
        promoteValues: true,
        promoteBuffers: false,
        bsonRegExp: true,
      }),
    );
    offset += FRAME_HEADER + length;
  }
  return { records, validBytes: offset, tornBytes: 0 };
}

function checkRecord(data: Buffer, offset: number): { reason: string; end: number } | undefined {
  if (offset + FRAME_HEADER > data.length)
    return { reason: 'truncated record header', end: data.length };
  const length = data.readUInt32LE(offset);
  const end = offset + FRAME_HEADER + length;
  if (length < 5) return { reason: `impossible record length ${length}`, end: data.length };
  if (end > data.length)
    return { reason: `record of ${length} bytes runs past the end`, end: data.length };
  const payload = data.subarray(offset + FRAME_HEADER, end);
  if (crc32(payload) !== data.readUInt32LE(offset + 4)) return { reason: 'checksum mismatch', end };
  if (payload.readInt32LE(0) !== length)
    return { reason: 'BSON length disagrees with the frame', end };
  return undefined;
}

/** A bad record is a torn tail when nothing but zeros follows it (a crash mid-append). */
function isTornTail(data: Buffer, _offset: number, end: number): boolean {
  for (let i = end; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}
