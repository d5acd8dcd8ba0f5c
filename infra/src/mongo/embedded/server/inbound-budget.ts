/**
 * The bytes of incoming messages the server holds at once, across all connections: a message
 * reserves its announced length as soon as its header arrives, and gives it back once its
 * command has been answered. A connection whose message does not fit waits, not reading from
 * its socket (the bytes stay in the kernel's buffers and the client's), until others are done.
 * So however many clients announce big messages and go quiet, the server's memory for them
 * stays under `limitBytes`, and the deadline for a half-received message frees what quiet
 * clients hold. Big messages may fill only 7/8 of the budget: the rest keeps ordinary commands
 * (a ping, a findOne) answered meanwhile.
 */
const SMALL_MESSAGE_BYTES = 64 * 1024;

interface Waiter {
  readonly bytes: number;
  readonly grant: () => void;
}

export class InboundBudget {
  readonly limitBytes: number;
  #reserved = 0;
  readonly #waiting: Waiter[] = [];

  constructor(limitBytes: number) {
    this.limitBytes = limitBytes;
  }

  #fits(bytes: number): boolean {
    const cap = bytes <= SMALL_MESSAGE_BYTES ? this.limitBytes : (this.limitBytes * 7) / 8;
    return this.#reserved + bytes <= cap;
  }

  get reservedBytes(): number {
    return this.#reserved;
  }

  /** Reserves `bytes` now if they fit; false otherwise. */
  tryReserve(bytes: number): boolean {
    if (!this.#fits(bytes)) return false;
    this.#reserved += bytes;
    return true;
  }

  /** Counts bytes already received (a whole message that came with its header in one read). */
  take(bytes: number): void {
    this.#reserved += bytes;
  }

  /** Calls `grant` once `bytes` are reserved for the caller; returns a cancel function. */
  wait(bytes: number, grant: () => void): () => void {
    const waiter = { bytes, grant };
    this.#waiting.push(waiter);
    return () => {
      const index = this.#waiting.indexOf(waiter);
      if (index >= 0) this.#waiting.splice(index, 1);
      this.#serve();
    };
  }

  release(bytes: number): void {
    this.#reserved -= bytes;
    this.#serve();
  }

  /** Grants, oldest first, every waiter that now fits (a big one does not hold up the rest). */
  #serve(): void {
    for (let i = 0; i < this.#waiting.length;) {
      const next = this.#waiting[i] as Waiter;
      if (!this.#fits(next.bytes)) {
        i++;
        continue;
      }
      this.#waiting.splice(i, 1);
      this.#reserved += next.bytes;
      next.grant();
    }
  }
}
