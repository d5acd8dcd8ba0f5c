/**
 * One client connection: bytes → frames → commands → replies, strictly in order. A protocol
 * violation (bad frame, unknown opcode, invalid BSON) closes this connection only, with a log
 * line saying why; a bad command is answered with an error and the connection stays open.
 * A command that changed data is answered only once its journal records are written.
 *
 * Memory: a message's bytes are reserved from the server's InboundBudget as soon as its length
 * is known, until its command is answered; a message not complete within `messageTimeoutMs` of
 * its first byte closes the connection. Reading stops while this connection has more than
 * QUEUED_LIMIT bytes of commands waiting or REPLY_LIMIT bytes of replies its client has not
 * read, so a client that sends without reading holds a bounded amount.
 */
import type { Socket } from 'node:net';
import type { Document } from 'bson';
import type { Logger } from 'pino';
import { fail } from '../errors.ts';
import { dispatch, HANDSHAKE_COMMANDS } from '../commands/dispatcher.ts';
import { recordCommand } from '../metrics.ts';
import { commandName, wantsJournal } from '../commands/args.ts';
import type { ServerState } from '../commands/context.ts';
import { OpCode } from '../wire/constants.ts';
import { FrameSplitter } from '../wire/frame-splitter.ts';
import { decodeOpMsg, encodeOpMsg } from '../wire/op-msg.ts';
import { decodeOpQuery, encodeOpReply } from '../wire/op-query.ts';
import { ProtocolError } from '../wire/protocol-error.ts';
import type { Durability } from './durability.ts';
import type { InboundBudget } from './inbound-budget.ts';

let nextResponseId = 1;

const QUEUED_LIMIT = 1 << 20;
const REPLY_LIMIT = 16 << 20;

export interface ConnectionLimits {
  readonly budget: InboundBudget;
  /** A message must arrive whole within this many ms of its first byte. */
  readonly messageTimeoutMs: number;
}

export class Connection {
  readonly id: number;
  readonly #socket: Socket;
  readonly #state: ServerState;
  readonly #durability: Durability;
  readonly #limits: ConnectionLimits;
  readonly #log: Logger;
  readonly #splitter = new FrameSplitter();
  /** Frames are handled one after another, so replies leave in request order. */
  #queue: Promise<void> = Promise.resolve();
  #closed = false;
  /** Bytes of complete messages received and not yet answered. */
  #queuedBytes = 0;
  /** The budget held for the message being received (its announced length), or 0. */
  #partialReserved = 0;
  #cancelWait: (() => void) | undefined;
  #deadline: NodeJS.Timeout | undefined;
  readonly #pausedFor = new Set<'budget' | 'queued' | 'replies'>();

  constructor(
    socket: Socket,
    id: number,
    state: ServerState,
    durability: Durability,
    limits: ConnectionLimits,
  ) {
    this.id = id;
    this.#socket = socket;
    this.#state = state;
    this.#durability = durability;
    this.#limits = limits;
    this.#log = state.logger.child({
      connectionId: id,
      remote: `${socket.remoteAddress ?? '?'}:${String(socket.remotePort ?? '?')}`,
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#receive(chunk);
    });
    socket.on('error', (error) => {
      this.#log.debug({ err: error }, 'socket error');
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#letGo();
    });
    socket.on('drain', () => {
      this.#resume('replies');
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
    this.#letGo();
    this.#socket.destroy();
  }

  /** Gives back what a closed connection held for a message it will never finish. */
  #letGo(): void {
    clearTimeout(this.#deadline);
    this.#cancelWait?.();
    this.#cancelWait = undefined;
    if (this.#partialReserved > 0) this.#limits.budget.release(this.#partialReserved);
    this.#partialReserved = 0;
  }

  #receive(chunk: Buffer): void {
    if (this.#closed) return;
    let frames: Buffer[];
    try {
      frames = this.#splitter.push(chunk);
    } catch (error) {
      this.#violation(error);
      return;
    }
    const { budget } = this.#limits;
    for (const frame of frames) {
      // The first one completed is the message reserved when its header came in.
      if (this.#partialReserved > 0) this.#partialReserved = 0;
      else budget.take(frame.length);
      this.#queuedBytes += frame.length;
      this.#queue = this.#queue
        .then(() => this.#handle(frame))
        .catch((error: unknown) => {
          this.#violation(error);
        })
        .finally(() => {
          budget.release(frame.length);
          this.#queuedBytes -= frame.length;
          if (this.#queuedBytes <= QUEUED_LIMIT) this.#resume('queued');
        });
    }
    if (this.#queuedBytes > QUEUED_LIMIT) this.#pause('queued');
    if (frames.length > 0) {
      clearTimeout(this.#deadline);
      this.#deadline = undefined;
    }
    this.#watchPartialMessage();
  }

  /** Reserves budget for the message being received and times its arrival. */
  #watchPartialMessage(): void {
    if (this.#splitter.pendingBytes === 0) return;
    const length = this.#splitter.pendingLength;
    if (length !== undefined && this.#partialReserved === 0 && !this.#cancelWait) {
      if (this.#limits.budget.tryReserve(length)) this.#partialReserved = length;
      else {
        // Waiting for memory is not the client's delay: no deadline runs meanwhile.
        this.#pause('budget');
        this.#cancelWait = this.#limits.budget.wait(length, () => {
          this.#cancelWait = undefined;
          this.#partialReserved = length;
          this.#resume('budget');
          this.#startDeadline();
        });
        return;
      }
    }
    this.#startDeadline();
  }

  #startDeadline(): void {
    if (this.#deadline || this.#closed) return;
    const { messageTimeoutMs } = this.#limits;
    this.#deadline = setTimeout(() => {
      const length = this.#splitter.pendingLength;
      this.#violation(
        new ProtocolError(
          `message${length === undefined ? '' : ` of ${String(length)} bytes`} not received whole within ${String(messageTimeoutMs)} ms (${String(this.#splitter.pendingBytes)} bytes came)`,
        ),
      );
    }, messageTimeoutMs);
    this.#deadline.unref();
  }

  #pause(reason: 'budget' | 'queued' | 'replies'): void {
    this.#pausedFor.add(reason);
    this.#socket.pause();
  }

  #resume(reason: 'budget' | 'queued' | 'replies'): void {
    if (!this.#pausedFor.delete(reason) || this.#pausedFor.size > 0 || this.#closed) return;
    this.#socket.resume();
  }

  async #handle(frame: Buffer): Promise<void> {
    if (this.#closed) return;
    const opCode = frame.readInt32LE(12);
    switch (opCode) {
      case OpCode.OP_MSG:
        return this.#handleMsg(frame);
      case OpCode.OP_QUERY:
        return this.#handleQuery(frame);
      case OpCode.OP_COMPRESSED:
        throw new ProtocolError('OP_COMPRESSED received, but no compressor was negotiated');
      default:
        throw new ProtocolError(`unsupported opcode ${opCode}`);
    }
  }

  async #handleMsg(frame: Buffer): Promise<void> {
    const request = decodeOpMsg(frame);
    const before = this.#durability.appended;
    const started = performance.now();
    const { reply, name } = await dispatch(request.command, this.#state, this.id);
    if (this.#durability.appended !== before)
      await this.#durability.commit(wantsJournal(request.command));
    recordCommand(name, (performance.now() - started) / 1000, reply.ok === 1);
    if (request.moreToCome) return;
    this.#send(encodeOpMsg, request.requestId, reply);
  }

  /** OP_QUERY serves only the legacy handshake; everything else is refused as servers ≥ 5.1 do. */
  async #handleQuery(frame: Buffer): Promise<void> {
    const request = decodeOpQuery(frame);
    const name = commandName(request.query);
    let reply: Document;
    if (request.fullCollectionName.endsWith('.$cmd') && HANDSHAKE_COMMANDS.has(name)) {
      const db = request.fullCollectionName.slice(0, -'.$cmd'.length);
      const started = performance.now();
      reply = (await dispatch({ ...request.query, $db: db }, this.#state, this.id)).reply;
      recordCommand(name, (performance.now() - started) / 1000, reply.ok === 1);
    } else {
      reply = fail(
        'UnsupportedOpQueryCommand',
        `Unsupported OP_QUERY command: ${name}. The client driver may require an upgrade. For more details see https://dochub.mongodb.org/core/legacy-opcode-removal`,
      ).toReply();
    }
    this.#send(encodeOpReply, request.requestId, reply);
  }

  #send(
    encode: (id: number, responseTo: number, reply: Document) => Buffer,
    responseTo: number,
    reply: Document,
  ): void {
    if (this.#closed) return;
    let frame: Buffer;
    try {
      frame = encode(nextResponseId++, responseTo, reply);
    } catch (error) {
      // A reply that cannot be encoded (over the BSON size limit) still gets an answer.
      this.#log.error({ err: error }, 'reply could not be encoded');
      const message = `reply could not be encoded: ${(error as Error).message}`;
      frame = encode(nextResponseId++, responseTo, fail('BSONObjectTooLarge', message).toReply());
    }
    this.#socket.write(frame);
    if (this.#socket.writableLength > REPLY_LIMIT) this.#pause('replies');
  }

  #violation(error: unknown): void {
    if (this.#closed) return;
    if (error instanceof ProtocolError) {
      this.#log.warn(
        { reason: error.message },
        `closing connection ${String(this.id)}: ${error.message}`,
      );
    } else {
      this.#log.error(
        { err: error },
        `closing connection ${String(this.id)} after an unexpected error`,
      );
    }
    this.close();
  }
}
