/**
 * Cuts a TCP byte stream into whole wire messages. The length field is checked as soon as its
 * four bytes arrive, so a client announcing a 2 GB message is refused before we buffer any of it.
 */
import { HEADER_BYTES, Limits } from './constants.ts';
import { ProtocolError } from './protocol-error.ts';

export class FrameSplitter {
  #chunks: Buffer[] = [];
  #buffered = 0;
  readonly #maxMessageBytes: number;

  constructor(maxMessageBytes: number = Limits.maxMessageSizeBytes) {
    this.#maxMessageBytes = maxMessageBytes;
  }

  /** Adds received bytes and returns every message now complete (possibly none). */
  push(chunk: Buffer): Buffer[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.#buffered < 4) break;
      const head = this.#peek(4);
      const length = head.readInt32LE(0);
      if (length < HEADER_BYTES) {
        throw new ProtocolError(`message length ${length} is shorter than the 16-byte header`);
      }
      if (length > this.#maxMessageBytes) {
        throw new ProtocolError(
          `message length ${length} exceeds maxMessageSizeBytes ${this.#maxMessageBytes}`,
        );
      }
      if (this.#buffered < length) break;
      frames.push(this.#take(length));
    }
    return frames;
  }

  /** Bytes received but not yet part of a whole message. */
  get pendingBytes(): number {
    return this.#buffered;
  }

  /** The announced length of the message being received, once its length field is in. */
  get pendingLength(): number | undefined {
    return this.#buffered >= 4 ? this.#peek(4).readInt32LE(0) : undefined;
  }

  #peek(n: number): Buffer {
    const first = this.#chunks[0];
    if (first && first.length >= n) return first.subarray(0, n);
    // Only tiny reads land here (the 4-byte length split across chunks): copy just those bytes.
    const bytes = Buffer.alloc(n);
    let filled = 0;
    for (const chunk of this.#chunks) {
      filled += chunk.copy(bytes, filled, 0, Math.min(chunk.length, n - filled));
      if (filled === n) break;
    }
    return bytes;
  }

  #take(n: number): Buffer {
    const all =
      this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks);
    const frame = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return frame;
  }
}
