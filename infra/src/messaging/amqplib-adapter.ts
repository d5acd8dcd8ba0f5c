/**
 * The one file that knows amqplib: maps its channels, messages and events onto the narrow
 * interface in broker-channel.ts. Kept thin on purpose; decisions live elsewhere.
 *
 * Why not amqplib 2.x's opt-in `recovery`: it reconnects the connection and re-runs a setup
 * hook, but channels opened before a drop stay dead, a channel closed by the broker while the
 * connection lives (406, 404, a cancelled consumer) is not recovered at all, and a setup
 * error that can never succeed (a queue declared with other arguments) is retried forever.
 * connection.ts owns one loop for all of those instead.
 */
import type { Socket } from 'node:net';
import amqplib from 'amqplib';
import type { Channel, ConfirmChannel, ConsumeMessage, GetMessage, Message } from 'amqplib';
import {
  ChannelClosedError,
  type BrokerChannel,
  type BrokerConnection,
  type ChannelListeners,
  type ConfirmOutcome,
  type ConnectOptions,
  type IncomingMessage,
} from './broker-channel.ts';
import { settledWithin } from './deadline.ts';

export async function connectAmqplib(options: ConnectOptions): Promise<BrokerConnection> {
  const url = new URL(options.url);
  // amqplib reads the heartbeat from the URL; an explicit one in the URL wins.
  if (!url.searchParams.has('heartbeat')) {
    url.searchParams.set('heartbeat', String(options.heartbeatSeconds));
  }
  const model = await amqplib.connect(url.toString(), {
    // amqplib leaves Nagle on; with small messages that costs tens of ms per confirm.
    noDelay: true,
    timeout: options.connectTimeoutMs,
    clientProperties: { connection_name: options.connectionName },
  });
  const socket = socketOf(model);
  if (socket) coalesceWrites(socket);
  let closing: Promise<void> | undefined;
  let lastError: Error | undefined;
  const closed = closedEvent(model);
  model.on('error', (error: Error) => {
    lastError = error;
  });
  model.on('handler-error', (error: Error) => {
    lastError = error;
  });
  model.on('close', (error?: Error) => {
    if (closing) return;
    options.onClosed(error ?? lastError ?? new Error('connection closed by the broker'));
  });
  if (options.onBlocked) model.on('blocked', options.onBlocked);
  if (options.onUnblocked) model.on('unblocked', options.onUnblocked);

  return {
    async openChannel(listeners, { confirm }) {
      const channel = confirm ? await model.createConfirmChannel() : await model.createChannel();
      return adaptChannel(channel, listeners);
    },
    close() {
      closing ??= closeWithin(model, closed, options.connectTimeoutMs);
      return closing;
    },
  };
}

/**
 * amqplib settles close() only on the broker's CloseOk: if the socket dies or stalls first, it
 * never does. Its 'close' event does fire once the connection is gone, however that came.
 */
async function closeWithin(
  model: amqplib.ChannelModel,
  closed: Promise<void>,
  timeoutMs: number,
): Promise<void> {
  const answered = model.close().catch(() => {
    // Already closed underneath us (the socket died): nothing left to release.
  });
  if (await settledWithin(Promise.race([answered, closed]), timeoutMs)) return;
  // No answer (a stalled link): drop the socket, which makes amqplib close everything.
  socketOf(model)?.destroy(new Error('no answer to connection.close'));
  await settledWithin(closed, timeoutMs);
}

/** Resolves on the emitter's (first) 'close' event. */
function closedEvent(emitter: { once(event: 'close', listener: () => void): unknown }) {
  return new Promise<void>((resolve) => {
    emitter.once('close', () => {
      resolve();
    });
  });
}

/**
 * amqplib writes every frame to the socket on its own (each publish, each ack, in one loop per
 * event-loop turn): with `noDelay`, one syscall and one TCP segment per message, for us and for
 * the broker that reads them. Corked from a turn's first write until the end of that turn, they
 * leave as one writev: the same bytes at the same moment, without Nagle's wait.
 */
export function coalesceWrites(socket: Socket): void {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  socket.write = (...args: unknown[]): boolean => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return write(...args);
  };
}

/**
 * amqplib keeps the socket on its (untyped) connection object; stable since 0.x, and
 * amqplib-adapter.test.ts fails if that changes (the writes would silently go uncoalesced).
 */
export function socketOf(model: amqplib.ChannelModel): Socket | undefined {
  return (model.connection as unknown as { stream?: Socket }).stream;
}

function adaptChannel(
  channel: Channel | ConfirmChannel,
  listeners: ChannelListeners,
): BrokerChannel {
  let open = true;
  let closingOurselves = false;
  let lastError: Error | undefined;
  const closed = closedEvent(channel);
  // Every emitter needs an error listener, or a broker-side close crashes the process.
  channel.on('error', (error: Error) => {
    lastError = error;
  });
  channel.on('handler-error', (error: Error) => {
    lastError = error;
  });
  // Before amqplib's own 'close' listener, which fails every unconfirmed publish: their confirm
  // callbacks then see the channel closed (see confirmOutcome).
  channel.prependListener('close', () => {
    open = false;
  });
  channel.on('close', () => {
    if (closingOurselves) listeners.closed();
    else listeners.closed(lastError ?? new Error('channel closed (connection lost)'));
  });
  channel.on('return', (message: Message) => {
    listeners.returned?.({
      messageId: stringOrUndefined(message.properties.messageId),
      exchange: message.fields.exchange,
      routingKey: message.fields.routingKey,
      replyCode: (message.fields as unknown as { replyCode: number }).replyCode,
      replyText: (message.fields as unknown as { replyText: string }).replyText,
    });
  });
  channel.on('drain', () => listeners.drained?.());

  return {
    get isOpen() {
      return open;
    },
    async assertExchange(name, type, options) {
      await channel.assertExchange(name, type, options);
    },
    async assertQueue(name, options) {
      const reply = await channel.assertQueue(name, options);
      return { messageCount: reply.messageCount, consumerCount: reply.consumerCount };
    },
    async checkQueue(name) {
      const reply = await channel.checkQueue(name);
      return { messageCount: reply.messageCount, consumerCount: reply.consumerCount };
    },
    async bindQueue(queue, exchange, pattern) {
      await channel.bindQueue(queue, exchange, pattern);
    },
    async purgeQueue(name) {
      return (await channel.purgeQueue(name)).messageCount;
    },
    publish(exchange, routingKey, content, properties, onConfirm) {
      // Listed rather than spread: this runs once per message.
      const options: amqplib.Options.Publish = {
        messageId: properties.messageId,
        type: properties.type,
        timestamp: properties.timestamp,
        contentType: properties.contentType,
        appId: properties.appId,
        headers: properties.headers,
        persistent: true,
        mandatory: true,
      };
      try {
        return (channel as ConfirmChannel).publish(
          exchange,
          routingKey,
          content,
          options,
          (error) => {
            onConfirm(confirmOutcome(error, open));
          },
        );
      } catch (error) {
        // amqplib throws IllegalOperationError once the channel (or its connection) is closing;
        // anything else (a TypeError) is about this message and leaves the channel usable.
        if (error instanceof amqplib.IllegalOperationError) {
          throw new ChannelClosedError(error.message, { cause: error });
        }
        throw error;
      }
    },
    async prefetch(count) {
      await channel.prefetch(count);
    },
    async consume(queue, onMessage, options) {
      const reply = await channel.consume(
        queue,
        (message: ConsumeMessage | null) => {
          if (message === null) options.cancelled();
          else onMessage(adaptMessage(message));
        },
        { noAck: false, ...(options.arguments ? { arguments: options.arguments } : {}) },
      );
      return reply.consumerTag;
    },
    async cancel(consumerTag) {
      await channel.cancel(consumerTag);
    },
    ack(deliveryTag, allUpTo = false) {
      return settle(() => {
        channel.ack(tagOnly(deliveryTag), allUpTo);
      });
    },
    nack(deliveryTag, requeue) {
      return settle(() => {
        channel.nack(tagOnly(deliveryTag), false, requeue);
      });
    },
    async get(queue) {
      const message: GetMessage | false = await channel.get(queue, { noAck: false });
      return message === false ? null : adaptMessage(message);
    },
    async close() {
      if (!open) return;
      closingOurselves = true;
      // Like the connection's: amqplib's close() never settles when the connection dies before
      // the broker's CloseOk, but the 'close' event fires.
      const done = channel.close().catch(() => {
        // The connection went first; the channel is closed either way.
      });
      await Promise.race([done, closed]);
    },
  };
}

function adaptMessage(message: ConsumeMessage | GetMessage): IncomingMessage {
  const { properties, fields } = message;
  return {
    content: message.content,
    deliveryTag: fields.deliveryTag,
    redelivered: fields.redelivered,
    exchange: fields.exchange,
    routingKey: fields.routingKey,
    messageId: stringOrUndefined(properties.messageId),
    type: stringOrUndefined(properties.type),
    timestamp: typeof properties.timestamp === 'number' ? properties.timestamp : undefined,
    contentType: stringOrUndefined(properties.contentType),
    appId: stringOrUndefined(properties.appId),
    headers: properties.headers ?? {},
  };
}

/**
 * amqplib throws when acking on a closed channel. The delivery tag died with the channel and
 * the broker requeues the message on its own, so report false instead of throwing.
 */
function settle(send: () => void): boolean {
  try {
    send();
    return true;
  } catch {
    return false;
  }
}

/** amqplib's ack/nack only read `fields.deliveryTag`; the rest of a Message is not needed. */
function tagOnly(deliveryTag: number): Message {
  return { fields: { deliveryTag } } as unknown as Message;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * amqplib reports both a broker nack and a channel that closed with the publish unconfirmed
 * as an error in the confirm callback. Their texts differ, but text is no contract: the channel's
 * state is. A nack frame only arrives on an open channel, and the closed ones are failed from
 * amqplib's 'close' listener, after ours marked the channel closed. A closed channel must not
 * read as a refusal: the publisher resends those. Pinned by publisher.test.ts "MESSAGING_NACKED"
 * (a real nack) and resilience.test.ts "mid-stream" (closed channels resend, nothing lost).
 */
function confirmOutcome(error: unknown, channelOpen: boolean): ConfirmOutcome {
  if (!error) return 'ack';
  return channelOpen ? 'nack' : 'closed';
}
