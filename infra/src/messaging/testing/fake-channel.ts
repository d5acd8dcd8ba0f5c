/**
 * A scripted stand-in for a confirm channel, for publisher tests that need exact timing (which
 * publish is on the wire when the connection dies) rather than a real broker. Only `publish`
 * works; the test confirms, returns or refuses each write itself.
 */
import type {
  BrokerChannel,
  BrokerConnection,
  ChannelListeners,
  ConfirmOutcome,
} from '../broker-channel.ts';
import type { Session } from '../connection.ts';
import type { OutgoingMessage } from '../publisher.ts';

export interface FakeWrite {
  readonly message: OutgoingMessage;
  confirm(outcome: ConfirmOutcome): void;
}

export interface FakeSession extends Session {
  /** Every publish written on this session's channels, in order. */
  readonly writes: FakeWrite[];
  /** Makes `publish` throw this for the next write. */
  throwOnNextWrite(error: Error): void;
  /** Sends a `basic.return` for a write, as the broker does before its confirm. */
  returnWrite(write: FakeWrite): void;
}

export function fakeSession(): FakeSession {
  const writes: FakeWrite[] = [];
  let nextError: Error | undefined;
  let listeners: ChannelListeners | undefined;
  const unsupported = (): never => {
    throw new Error('not supported by the fake channel');
  };
  const channel: BrokerChannel = {
    isOpen: true,
    publish(exchange, routingKey, content, properties, onConfirm) {
      if (nextError) {
        const error = nextError;
        nextError = undefined;
        throw error;
      }
      writes.push({ message: { exchange, routingKey, content, properties }, confirm: onConfirm });
      return true;
    },
    assertExchange: unsupported,
    assertQueue: unsupported,
    checkQueue: unsupported,
    bindQueue: unsupported,
    purgeQueue: unsupported,
    prefetch: unsupported,
    consume: unsupported,
    cancel: unsupported,
    ack: unsupported,
    nack: unsupported,
    get: unsupported,
    close: () => Promise.resolve(),
  };
  const connection: BrokerConnection = {
    openChannel(channelListeners) {
      listeners = channelListeners;
      return Promise.resolve(channel);
    },
    close: () => Promise.resolve(),
  };
  return {
    id: 1,
    connection,
    alive: true,
    fail() {},
    writes,
    throwOnNextWrite(error) {
      nextError = error;
    },
    returnWrite(write) {
      listeners?.returned?.({
        messageId: write.message.properties.messageId,
        exchange: write.message.exchange,
        routingKey: write.message.routingKey,
        replyCode: 312,
        replyText: 'NO_ROUTE',
      });
    },
  };
}
