/**
 * Reading the event log (`tickwatch.log`, a RabbitMQ stream: DESIGN.md §5) from its first
 * retained message, in order, in batches: what read-model rebuilds replay. Reading stops at the
 * first event published after `until` (the moment the rebuild started: newer ones reach the
 * live consumers anyway) or once the stream has been quiet for `idleMs` (its end). Messages
 * that are not valid events are counted and skipped, never fatal.
 */
import { EVENT_LOG_STREAM, type TickwatchEvent } from '@tickwatch/contracts';
import { connectAmqplib } from './amqplib-adapter.ts';
import type { IncomingMessage } from './broker-channel.ts';
import { decodeEvent } from './envelope.ts';

export interface ReadEventLogOptions {
  readonly url: string;
  /** Events published at or after this instant end the read (default: now). */
  readonly until?: Date;
  /** The stream counts as read to its end after this long without a message, ms (default 2 000). */
  readonly idleMs?: number;
  /** Events per `onBatch` call (default 500); also the consumer's credit. */
  readonly batchSize?: number;
  readonly onBatch: (events: readonly TickwatchEvent[]) => Promise<void>;
  /** The stream's name (default `tickwatch.log`). */
  readonly stream?: string;
}

export interface EventLogSummary {
  readonly read: number;
  readonly invalid: number;
}

export async function readEventLog(options: ReadEventLogOptions): Promise<EventLogSummary> {
  const { until = new Date(), idleMs = 2_000, batchSize = 500, onBatch } = options;
  const connection = await connectAmqplib({
    url: options.url,
    heartbeatSeconds: 10,
    connectTimeoutMs: 10_000,
    connectionName: 'event-log-reader',
    onClosed: () => undefined,
  });
  let read = 0;
  let invalid = 0;
  try {
    const channel = await connection.openChannel({ closed: () => undefined }, { confirm: false });
    await channel.prefetch(batchSize);
    const pending: IncomingMessage[] = [];
    let wake: (() => void) | undefined;
    // Set by the broker's cancel callback (a queue deleted under us).
    const state = { cancelled: false };
    const notify = (): void => {
      wake?.();
      wake = undefined;
    };
    const tag = await channel.consume(
      options.stream ?? EVENT_LOG_STREAM,
      (message) => {
        pending.push(message);
        if (pending.length >= batchSize) notify();
      },
      {
        arguments: { 'x-stream-offset': 'first' },
        cancelled: () => {
          state.cancelled = true;
          notify();
        },
      },
    );
    for (;;) {
      if (pending.length < batchSize && !state.cancelled) {
        const before = pending.length;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(notify, idleMs);
        });
        if (pending.length === before && pending.length === 0) break;
      }
      const messages = pending.splice(0, batchSize);
      if (messages.length === 0) break;
      const events: TickwatchEvent[] = [];
      let reachedEnd = false;
      for (const message of messages) {
        const decoded = decodeEvent(message);
        if (!decoded.ok) {
          invalid += 1;
          continue;
        }
        if (Date.parse(decoded.event.time) >= until.getTime()) {
          reachedEnd = true;
          break;
        }
        events.push(decoded.event);
      }
      if (events.length > 0) await onBatch(events);
      read += events.length;
      const last = messages.at(-1);
      if (last) channel.ack(last.deliveryTag, true);
      if (reachedEnd || state.cancelled) break;
    }
    await channel.cancel(tag).catch(() => undefined);
    await channel.close();
  } finally {
    await connection.close();
  }
  return { read, invalid };
}
