/**
 * The narrow view of AMQP that the messaging logic is written against. Only
 * `amqplib-adapter.ts` knows amqplib; everything else sees these few members, so the
 * publisher, consumers and topology steps read as protocol logic, not library plumbing.
 */

/** Header values we write and read: AMQP field tables, kept to JSON-like values. */
export type HeaderValue = string | number | boolean | null | readonly HeaderValue[] | Headers;
export interface Headers {
  readonly [name: string]: HeaderValue | undefined;
}

export interface PublishProperties {
  readonly messageId: string;
  readonly type?: string;
  /** AMQP timestamps are whole seconds since the epoch. */
  readonly timestamp?: number;
  readonly contentType?: string;
  readonly appId?: string;
  readonly headers?: Headers;
}

/** A message to publish: where to, its body and properties. */
export interface OutgoingMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly properties: PublishProperties;
}

export type ConfirmOutcome = 'ack' | 'nack' | 'closed';

/**
 * `publish` on a channel that is closed or closing. Any other error thrown by `publish` is about
 * the message itself (it cannot be encoded) and leaves the channel usable.
 */
export class ChannelClosedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ChannelClosedError';
  }
}

export interface IncomingMessage {
  readonly content: Buffer;
  readonly deliveryTag: number;
  readonly redelivered: boolean;
  readonly exchange: string;
  readonly routingKey: string;
  readonly messageId: string | undefined;
  readonly type: string | undefined;
  readonly timestamp: number | undefined;
  readonly contentType: string | undefined;
  readonly appId: string | undefined;
  readonly headers: Headers;
}

/** A publish the broker could not route (`basic.return`); its confirm still follows. */
export interface ReturnedMessage {
  readonly messageId: string | undefined;
  readonly exchange: string;
  readonly routingKey: string;
  readonly replyCode: number;
  readonly replyText: string;
}

export interface QueueCounts {
  readonly messageCount: number;
  readonly consumerCount: number;
}

export interface ChannelListeners {
  /**
   * The channel is gone. `error` is set when the broker or a dead connection closed it,
   * absent after our own `close()`.
   */
  readonly closed: (error?: Error) => void;
  readonly returned?: (message: ReturnedMessage) => void;
  /** The socket buffer emptied after `publish` returned false. */
  readonly drained?: () => void;
}

export interface ConsumeOptions {
  readonly arguments?: Headers;
  /** The broker cancelled the consumer (queue deleted, leader lost for good). */
  readonly cancelled: () => void;
}

export interface BrokerChannel {
  assertExchange(
    name: string,
    type: string,
    options: { durable: boolean; arguments?: Headers },
  ): Promise<void>;
  assertQueue(
    name: string,
    options: { durable: boolean; exclusive: boolean; autoDelete: boolean; arguments: Headers },
  ): Promise<QueueCounts>;
  /** Passive declare: counts without changing anything; rejects (and closes) if missing. */
  checkQueue(name: string): Promise<QueueCounts>;
  bindQueue(queue: string, exchange: string, pattern: string): Promise<void>;
  purgeQueue(name: string): Promise<number>;

  /**
   * Publishes persistent and mandatory. `onConfirm` runs once: `ack` (the broker has it),
   * `nack` (the broker refused it, e.g. a full reject-publish queue) or `closed` (the channel
   * closed first: the broker may or may not have it). Returns false when the socket buffer
   * is full: wait for `drained` before publishing more. Throws ChannelClosedError if the channel
   * is closed or closing, another error if the message cannot be encoded. Confirm channels only.
   */
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    properties: PublishProperties,
    onConfirm: (outcome: ConfirmOutcome) => void,
  ): boolean;

  prefetch(count: number): Promise<void>;
  consume(
    queue: string,
    onMessage: (message: IncomingMessage) => void,
    options: ConsumeOptions,
  ): Promise<string>;
  cancel(consumerTag: string): Promise<void>;
  /**
   * Acks one delivery, or with `allUpTo` every unacked one up to this tag (one frame for a
   * batch). False when the channel is already closed: the tags died with it and the broker
   * requeues the messages by itself (they will be redelivered, so handlers must be idempotent).
   */
  ack(deliveryTag: number, allUpTo?: boolean): boolean;
  /** `requeue: false` dead-letters through the queue's own DLX (the broker adds x-death). */
  nack(deliveryTag: number, requeue: boolean): boolean;
  /** basic.get with manual ack; null when the queue is empty. */
  get(queue: string): Promise<IncomingMessage | null>;

  /** Resolves once the channel is closed, also when the connection dies during the handshake. */
  close(): Promise<void>;
  readonly isOpen: boolean;
}

export interface BrokerConnection {
  openChannel(listeners: ChannelListeners, options: { confirm: boolean }): Promise<BrokerChannel>;
  /**
   * Closes the connection and with it every channel. Never hangs: a broker that does not answer
   * the close within `connectTimeoutMs` (a stalled link) has its socket destroyed.
   */
  close(): Promise<void>;
}

export interface ConnectOptions {
  readonly url: string;
  /** Seconds; a silent peer is declared dead after two missed beats. */
  readonly heartbeatSeconds: number;
  readonly connectTimeoutMs: number;
  /** Shown in the management UI and `rabbitmqctl list_connections client_properties`. */
  readonly connectionName: string;
  /** The connection is gone (not called after our own `close()`). */
  readonly onClosed: (error: Error) => void;
  readonly onBlocked?: (reason: string) => void;
  readonly onUnblocked?: () => void;
}

export type Connector = (options: ConnectOptions) => Promise<BrokerConnection>;
