/**
 * What the collector's broker-and-database tests share: a test vhost, the embedded MongoDB, a
 * messaging instance with the production topology, and builders for the events the collector
 * consumes.
 */
import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import {
  createEvent,
  EventType,
  type Event,
  type EventData,
  type Rule,
  type TickwatchEvent,
} from '@tickwatch/contracts';
import { exampleRule } from '@tickwatch/contracts/examples';
import { createLogger } from '@tickwatch/infra/log';
import {
  tickwatchTopology,
  type DeliveryContext,
  type Messaging,
} from '@tickwatch/infra/messaging';
import { createTestVhost, testMessaging, type TestVhost } from '@tickwatch/infra/messaging/testing';
import { startEmbeddedMongo, type EmbeddedMongo } from '@tickwatch/infra/mongo/embedded';

export const silent = createLogger({ name: 'test', level: 'silent' });

export interface Harness {
  readonly vhost: TestVhost;
  readonly mongo: EmbeddedMongo;
  readonly connection: mongoose.Connection;
  /** Messaging on the vhost with the production topology (the collector process declares it). */
  messaging(): Messaging;
  close(): Promise<void>;
}

export async function startHarness(label: string): Promise<Harness> {
  const vhost = await createTestVhost(label);
  const mongo = await startEmbeddedMongo({ port: 0, logger: silent });
  const connection = await mongoose
    .createConnection(mongo.uri, { dbName: `tickwatch_collector_${randomUUID().slice(0, 8)}` })
    .asPromise();
  const opened: Messaging[] = [];
  return {
    vhost,
    mongo,
    connection,
    messaging() {
      const messaging = testMessaging(vhost.url, { topology: tickwatchTopology(), logger: silent });
      opened.push(messaging);
      return messaging;
    },
    async close() {
      for (const messaging of opened) await messaging.close();
      await connection.close();
      await mongo.stop();
      await vhost.delete();
    },
  };
}

const SOURCE = 'tickwatch/test';

export function ruleEvent(
  type: typeof EventType.ruleCreated | typeof EventType.ruleUpdated | typeof EventType.ruleDeleted,
  rule: Partial<Rule> & Pick<Rule, 'id' | 'ticker' | 'version'>,
): TickwatchEvent {
  return createEvent(type, { rule: { ...exampleRule, ...rule } }, { source: SOURCE });
}

export function watchEvent(
  type: typeof EventType.watchAdded | typeof EventType.watchRemoved,
  data: EventData<typeof EventType.watchAdded>,
): TickwatchEvent {
  return createEvent(type, data, { source: SOURCE });
}

export function leaseEvent(ticker: string, holder: string, expiresAt: Date): TickwatchEvent {
  return createEvent(
    EventType.interestRenewed,
    { ticker, holder, expiresAt: expiresAt.toISOString() },
    { source: SOURCE },
  );
}

export function userDeletedEvent(userId: string): TickwatchEvent {
  return createEvent(EventType.userDeleted, { userId }, { source: SOURCE });
}

export interface Received<T extends TickwatchEvent = TickwatchEvent> {
  readonly event: T;
  readonly context: DeliveryContext;
}

/** Records what a queue's consumer receives, by event type. */
export class Inbox {
  readonly received: Received[] = [];
  of<T extends EventType>(type: T): { event: Event<T>; context: DeliveryContext }[] {
    return this.received
      .filter((item) => item.event.type === type)
      .map((item) => ({ event: item.event as Event<T>, context: item.context }));
  }
  record = (event: TickwatchEvent, context: DeliveryContext): Promise<void> => {
    this.received.push({ event, context });
    return Promise.resolve();
  };
}
