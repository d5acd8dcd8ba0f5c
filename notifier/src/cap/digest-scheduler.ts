/**
 * Sends the digests: every `intervalMs`, the CAPPED deliveries whose window has opened again
 * are grouped per user and channel, and each group goes out as one digest delivery, through
 * the same claim / send / record path as any delivery (deliver.ts). The digest's id derives
 * from its oldest item, so after a crash the next pass finds the same digest (SENT: only its
 * items are still to be marked; PENDING: sent now) instead of making a second one.
 */
import { deliveryId } from '@tickwatch/contracts';
import type { Logger } from '@tickwatch/infra/log';
import { periodic } from '@tickwatch/infra/periodic';
import { RetryLater } from '../deliveries/delivery-error.ts';
import type { Deliverer } from '../deliveries/deliver.ts';
import {
  DeliveryKind,
  DeliveryState,
  type DeliveryDocument,
} from '../deliveries/delivery-model.ts';
import type { DeliverySpec, DeliveryStore } from '../deliveries/delivery-store.ts';

export interface DigestSchedulerOptions {
  readonly store: DeliveryStore;
  readonly deliverer: Deliverer;
  readonly logger: Logger;
  /** Time between passes, ms. */
  readonly intervalMs: number;
  /** A digest failing transiently this many times fails for good. */
  readonly maxAttempts: number;
  /** Capped deliveries read per pass. */
  readonly batch?: number;
}

export interface DigestScheduler {
  /** One pass; resolves with the number of digests sent. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

function digestSpec(items: readonly DeliveryDocument[]): DeliverySpec {
  const [first] = items;
  if (!first) throw new RangeError('a digest needs at least one item');
  return {
    id: deliveryId(`digest:${first._id}`, first.channel),
    kind: DeliveryKind.digest,
    sourceId: first._id,
    userId: first.userId,
    channel: first.channel,
    items: items.flatMap((item) =>
      item.alert
        ? [
            {
              deliveryId: item._id,
              alert: item.alert,
              ...(item.failure ? { heldBy: item.failure.code } : {}),
            },
          ]
        : [],
    ),
  };
}

export function createDigestScheduler(options: DigestSchedulerOptions): DigestScheduler {
  const { store, deliverer, intervalMs, maxAttempts, batch = 500 } = options;
  const logger = options.logger.child({ component: 'digest' });

  /** A digest found already SENT or FAILED: finish what a crash may have left (its items). */
  const settle = async (id: string): Promise<void> => {
    const digest = await store.find(id);
    if (digest?.state === DeliveryState.sent || digest?.state === DeliveryState.failed) {
      await store.markDigested(
        (digest.items ?? []).map((item) => item.deliveryId),
        id,
      );
    }
  };

  const runOnce = async (): Promise<number> => {
    const due = await store.dueForDigest(new Date(), batch);
    const groups = new Map<string, DeliveryDocument[]>();
    for (const delivery of due) {
      const key = `${delivery.userId}:${delivery.channel}`;
      groups.set(key, [...(groups.get(key) ?? []), delivery]);
    }
    let sent = 0;
    for (const items of groups.values()) {
      const spec = digestSpec(items);
      try {
        const outcome = await deliverer.deliver(spec, {
          isLast: (digest) => digest.attempts >= maxAttempts,
          replay: false,
          trace: {},
        });
        if (outcome === 'sent') sent += 1;
        if (outcome === 'duplicate') await settle(spec.id);
      } catch (error) {
        if (!(error instanceof RetryLater)) throw error;
        logger.warn({ err: error, digestId: spec.id }, 'digest not sent; retrying next pass');
      }
    }
    return sent;
  };

  const passes = periodic(runOnce, {
    intervalMs,
    onError: (error) => {
      logger.error({ err: error }, 'digest pass failed');
    },
  });

  return {
    runOnce,
    start: passes.start,
    stop: passes.stop,
  };
}
