/**
 * Acks of one channel gathered for a short linger and sent as one `basic.ack multiple` frame.
 * A live queue receives its events one at a time, and an ack per event is a socket write per
 * event, for this process and for the broker that reads it; on a small VM each such write costs
 * a few hundred µs of CPU (a profile of the gateway in `npm run bench -- read-models`: a sixth
 * of its busy time in AMQP socket writes, most of them these acks). The linger is bounded in
 * time and in count (half the prefetch), so the broker's prefetch window never waits for it.
 *
 * One `multiple` ack covers every delivery up to its tag, so it is only sent for a run of settled
 * deliveries from the oldest outstanding one. Settled deliveries behind one still running are
 * acked one by one in the same flush (the same socket write): a slow handler delays nobody's ack
 * past the linger, and is never acked before it settles.
 */
import type { BrokerChannel } from './broker-channel.ts';

export interface AckWindowOptions {
  /** How long the first gathered ack waits for others. */
  readonly lingerMs: number;
  /** Gathered acks that are flushed at once (keep it under the prefetch). */
  readonly maxPending: number;
}

export type Acker = Pick<BrokerChannel, 'ack' | 'isOpen'>;

export interface AckWindow extends Acker {
  /** A delivery arrived: it holds back `multiple` acks of later ones until it settles. */
  delivered(deliveryTag: number): void;
  /** Nacks at once: a delivery given back must not wait, and holds back nothing after it. */
  nack(deliveryTag: number, requeue: boolean): boolean;
  /** Sends the gathered acks now (before a clean close of the channel). */
  flush(): void;
}

export function createAckWindow(
  channel: Pick<BrokerChannel, 'ack' | 'nack' | 'isOpen'>,
  options: AckWindowOptions,
): AckWindow {
  /** Deliveries not acked or nacked on the wire yet, oldest first: true once settled here. */
  const outstanding = new Map<number, boolean>();
  let pending = 0;
  let timer: NodeJS.Timeout | undefined;

  const settle = (deliveryTag: number): void => {
    if (outstanding.get(deliveryTag) !== false) return;
    outstanding.set(deliveryTag, true);
    pending += 1;
  };

  const flush = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (pending === 0) return;
    pending = 0;
    // A closed channel took its tags with it: the broker returns those messages by itself.
    if (!channel.isOpen) {
      outstanding.clear();
      return;
    }
    let runEnd: number | undefined;
    for (const [tag, settled] of outstanding) {
      if (!settled) break;
      runEnd = tag;
      outstanding.delete(tag);
    }
    if (runEnd !== undefined) channel.ack(runEnd, true);
    for (const [tag, settled] of outstanding) {
      if (!settled) continue;
      channel.ack(tag);
      outstanding.delete(tag);
    }
  };

  return {
    delivered(deliveryTag) {
      outstanding.set(deliveryTag, false);
    },
    ack(deliveryTag, allUpTo = false) {
      // A tag this window never saw delivered (nothing to gather it with) goes out at once.
      if (!outstanding.has(deliveryTag)) return channel.ack(deliveryTag, allUpTo);
      if (allUpTo) {
        for (const tag of outstanding.keys()) {
          if (tag > deliveryTag) break;
          settle(tag);
        }
      } else {
        settle(deliveryTag);
      }
      if (pending >= options.maxPending) flush();
      else timer ??= setTimeout(flush, options.lingerMs).unref();
      return channel.isOpen;
    },
    nack(deliveryTag, requeue) {
      if (outstanding.get(deliveryTag) === true) pending -= 1;
      outstanding.delete(deliveryTag);
      return channel.nack(deliveryTag, requeue);
    },
    flush,
    get isOpen() {
      return channel.isOpen;
    },
  };
}
