/**
 * The DLQ tool's operations, as a library (scripts/dlq.ts is the command line around it, and
 * the tests call these directly).
 *
 * - list: every DLQ of the topology description with counts from a passive declare.
 * - show: basic.get without ack, then close the channel: the messages go back to their
 *   places. DLQs are classic queues (queue-shapes.ts), so this peek is not counted as a
 *   delivery; no consumer competes for a DLQ, so nothing else sees them meanwhile.
 * - replay: each message is republished (confirmed, mandatory) to the queue it died in with
 *   attempts reset and a replay header, and only then acked in the DLQ. A crash in between
 *   replays it twice, never zero times; consumers drop the repeat by event id.
 * - purge: deletes the DLQ's messages.
 */
import { HEADERS } from '@tickwatch/contracts';
import type {
  BrokerChannel,
  BrokerConnection,
  Headers,
  IncomingMessage,
} from '../broker-channel.ts';
import type { Session } from '../connection.ts';
import { noopObserver } from '../observer.ts';
import { createPublisher } from '../publisher.ts';
import type { Logger } from '../../log.ts';
import type { QueueSpec, Topology } from '../topology/model.ts';
import { copyOf } from '../failure-policy.ts';
import { originalRoutingKey } from '../message-headers.ts';
import { viewDeadLetter, type DeadLetterView } from './dead-letter-view.ts';

export interface DeadLetterQueueInfo {
  readonly queue: string;
  readonly deadLetterQueue: string;
  readonly consumer: string;
  /** Null when the DLQ does not exist (no service has declared the topology yet). */
  readonly messageCount: number | null;
}

/** Accepts a work queue or its DLQ; returns the work queue's description. */
export function resolveDeadLetterQueue(topology: Topology, name: string): QueueSpec {
  const work = topology.queues.find(
    (queue) =>
      queue.deadLetterQueue !== undefined &&
      (queue.name === name || queue.deadLetterQueue === name),
  );
  if (!work) {
    const known = topology.queues.flatMap((q) => (q.deadLetterQueue ? [q.deadLetterQueue] : []));
    throw new Error(
      `"${name}" is not a DLQ (or work queue) of the topology; known: ${known.join(', ')}`,
    );
  }
  return work;
}

export async function listDeadLetterQueues(
  connection: BrokerConnection,
  topology: Topology,
): Promise<DeadLetterQueueInfo[]> {
  let channel: BrokerChannel | undefined;
  try {
    const result: DeadLetterQueueInfo[] = [];
    for (const queue of topology.queues) {
      if (!queue.deadLetterQueue) continue;
      // A passive declare of a missing queue closes the channel (404): open another.
      if (!channel?.isOpen) {
        channel = await connection.openChannel({ closed: () => {} }, { confirm: false });
      }
      let messageCount: number | null;
      try {
        messageCount = (await channel.checkQueue(queue.deadLetterQueue)).messageCount;
      } catch (error) {
        if ((error as { code?: unknown }).code !== 404) throw error;
        messageCount = null;
      }
      result.push({
        queue: queue.name,
        deadLetterQueue: queue.deadLetterQueue,
        consumer: queue.consumer,
        messageCount,
      });
    }
    return result;
  } finally {
    await channel?.close();
  }
}

export async function showDeadLetters(
  connection: BrokerConnection,
  topology: Topology,
  name: string,
  limit: number,
): Promise<DeadLetterView[]> {
  const { deadLetterQueue } = resolveDeadLetterQueue(topology, name);
  const channel = await connection.openChannel({ closed: () => {} }, { confirm: false });
  const views: DeadLetterView[] = [];
  try {
    for (let i = 0; i < limit; i++) {
      const message = await channel.get(deadLetterQueue ?? '');
      if (!message) break;
      views.push(viewDeadLetter(message));
    }
  } finally {
    // Closing without acking returns every message to its place in the queue.
    await channel.close();
  }
  return views;
}

export interface ReplayResult {
  readonly replayed: number;
  /** Set when replay stopped early; the message it stopped at is still in the DLQ. */
  readonly error?: Error;
}

export async function replayDeadLetters(
  connection: BrokerConnection,
  topology: Topology,
  name: string,
  limit: number,
  logger: Logger,
): Promise<ReplayResult> {
  const work = resolveDeadLetterQueue(topology, name);
  const deadLetterQueue = work.deadLetterQueue ?? '';
  const source = await connection.openChannel({ closed: () => {} }, { confirm: false });
  const publisher = createPublisher({
    logger,
    observer: noopObserver,
    maxInFlight: 1,
    maxBuffered: 1,
    publishTimeoutMs: 10_000,
    whenBlocked: 'wait',
  });
  let failed: Error | undefined;
  const session: Session = {
    id: 1,
    connection,
    alive: true,
    fail(error) {
      failed = error;
    },
  };
  await publisher.attach(session);
  let replayed = 0;
  try {
    // Only what is there now: a replayed message that fails again comes back to this DLQ
    // while we run, and must not be replayed in a loop.
    const present = (await source.checkQueue(deadLetterQueue)).messageCount;
    const cap = Math.min(limit, present);
    while (replayed < cap) {
      if (failed) throw failed;
      const message = await source.get(deadLetterQueue);
      if (!message) break;
      await publisher.publish(replayCopy(message, work.name), { buffer: false });
      replayed += 1;
      if (!source.ack(message.deliveryTag)) {
        // Replayed, but the DLQ channel died holding it: the copy stays there too.
        throw new Error(
          `lost the channel to ${deadLetterQueue}; the last message replayed is also still there`,
        );
      }
    }
    return { replayed };
  } catch (error) {
    return { replayed, error: error instanceof Error ? error : new Error(String(error)) };
  } finally {
    publisher.detach(undefined);
    await publisher.shutdown(0);
    await source.close();
  }
}

/** Deletes every message, or only the `limit` oldest when given. Returns how many. */
export async function purgeDeadLetters(
  connection: BrokerConnection,
  topology: Topology,
  name: string,
  limit?: number,
): Promise<number> {
  const { deadLetterQueue = '' } = resolveDeadLetterQueue(topology, name);
  const channel = await connection.openChannel({ closed: () => {} }, { confirm: false });
  try {
    if (limit === undefined) return await channel.purgeQueue(deadLetterQueue);
    let purged = 0;
    while (purged < limit) {
      const message = await channel.get(deadLetterQueue);
      if (!message) break;
      channel.ack(message.deliveryTag);
      purged += 1;
    }
    return purged;
  } finally {
    await channel.close();
  }
}

/** Headers that described the failed life; the replayed message starts a fresh one. */
const RESET_HEADERS = new Set<string>([
  HEADERS.attempts,
  HEADERS.lastError,
  HEADERS.deadReason,
  'x-delivery-count',
]);

function replayCopy(message: IncomingMessage, queue: string) {
  const headers: Record<string, Headers[string]> = {};
  for (const [key, value] of Object.entries(message.headers)) {
    if (!RESET_HEADERS.has(key)) headers[key] = value;
  }
  headers[HEADERS.replayedAt] = new Date().toISOString();
  headers[HEADERS.routingKey] = originalRoutingKey(message);
  // The default exchange routes by queue name: back to this queue only, not to every queue
  // bound to the original routing key (those already handled it).
  return copyOf(message, '', queue, headers);
}
