/**
 * A notifier for tests, built as main.ts builds it, against real components: RabbitMQ (a vhost
 * per suite), MongoDB over the wire (the suite's target), a real SMTP server (the mail sink).
 * A second connection plays the gateway: it publishes user.* and alert events and records the
 * notification.* events the notifier publishes.
 *
 *   describeOnMongoTargets('notifier …', (target) => {
 *     const h = useNotifierHarness(target);
 *     it('…', async () => { const userId = await h.addUser(); await h.publish(h.alertFor(userId)); … });
 *   });
 */
import { randomUUID } from 'node:crypto';
import {
  createEvent,
  derivedEventId,
  EventType,
  HEADERS,
  QUEUES,
  type Event,
  type EventData,
  type TickwatchEvent,
} from '@tickwatch/contracts';
import { exampleData } from '@tickwatch/contracts/examples';
import { createLogger } from '@tickwatch/infra/log';
import { startMailSink, type MailSink } from '@tickwatch/infra/mail-sink';
import type { Messaging, RetryTier, Topology } from '@tickwatch/infra/messaging';
import {
  createTestVhost,
  Disposer,
  TEST_TIERS,
  testMessaging,
  testTopology,
  type MongoTarget,
  type TestVhost,
} from '@tickwatch/infra/messaging/testing';
import { pollUntil } from '@tickwatch/infra/testing';
import type { DeliveryOutcome } from '../deliveries/deliver.ts';
import { noopDeliveryObserver } from '../deliveries/delivery-observer.ts';
import type { Channel, DeliveryKind } from '../deliveries/delivery-model.ts';
import { createNotifier, type Notifier, type NotifierOptions } from '../notifier.ts';

export const TEST_LINK_KEY = 'test-link-signing-key-0123456789abcdef';
export const TEST_PUBLIC_BASE_URL = 'http://127.0.0.1:4000';
export const TEST_MAIL_FROM = 'tickwatch <alerts@tickwatch.test>';

type Preferences = EventData<typeof EventType.userPreferencesChanged>;
type Alert = EventData<typeof EventType.alertTriggered>;

export interface AttemptRecord {
  readonly channel: Channel;
  readonly kind: DeliveryKind;
  readonly outcome: DeliveryOutcome | 'retry';
}

export interface HarnessOptions {
  /** Retry tiers of the suite's topology (default: infra's 50/100/200 ms test tiers). */
  readonly tiers?: readonly RetryTier[];
  readonly notifier?: Partial<NotifierOptions>;
}

export interface NotifierHarness {
  readonly sink: MailSink;
  readonly vhost: TestVhost;
  /** The suite's topology (its retry tiers): for the DLQ tool's operations. */
  readonly topology: Topology;
  /** The notifier started for the suite. */
  readonly notifier: Notifier;
  /** Every delivery attempt the suite's notifiers made. */
  readonly attempts: readonly AttemptRecord[];
  readonly sent: readonly Event<typeof EventType.notificationSent>[];
  readonly failed: readonly Event<typeof EventType.notificationFailed>[];
  /** Publishes as the gateway would, optionally as part of a trace. */
  publish(event: TickwatchEvent, trace?: { traceparent: string }): Promise<void>;
  /** The traceparent a notification.* event arrived with. */
  traceparentOf(eventId: string): string | undefined;
  /** A user with the given preferences (default: verified, Europe/London), once projected. */
  addUser(preferences?: Partial<Preferences>): Promise<string>;
  /** A preferences change (a newer version), once projected. */
  changeUser(userId: string, preferences: Partial<Preferences>): Promise<void>;
  /** An alert.triggered for the user with a fresh alert id. */
  alertFor(userId: string, overrides?: Partial<Alert>): Event<typeof EventType.alertTriggered>;
  /** Another notifier replica on the same database and vhost, stopped after the suite. */
  startReplica(): Promise<Notifier>;
  sentFor(alertId: string): readonly Event<typeof EventType.notificationSent>[];
  failedFor(alertId: string): readonly Event<typeof EventType.notificationFailed>[];
}

const logger = createLogger({ name: 'notifier-test', level: 'silent' });

export function useNotifierHarness(
  target: MongoTarget,
  options: HarnessOptions = {},
): NotifierHarness {
  const topology = testTopology({ retryTiers: options.tiers ?? TEST_TIERS });
  const disposer = new Disposer();
  const attempts: AttemptRecord[] = [];
  const sent: Event<typeof EventType.notificationSent>[] = [];
  const failed: Event<typeof EventType.notificationFailed>[] = [];
  const versions = new Map<string, Preferences>();
  const traceparents = new Map<string, string>();
  let sink: MailSink | undefined;
  let vhost: TestVhost | undefined;
  let gateway: Messaging | undefined;
  let notifier: Notifier | undefined;

  const required = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new Error(`${name} used outside its suite`);
    return value;
  };

  const startNotifier = async (): Promise<Notifier> => {
    const messaging = disposer.add(
      testMessaging(required(vhost, 'vhost').url, { service: 'notifier', topology }),
      (m) => m.close(),
    );
    await messaging.start();
    const instance = createNotifier({
      connection: target.connection(),
      messaging,
      logger,
      smtp: {
        url: required(sink, 'sink').url,
        poolSize: 2,
        requireTls: false,
        rejectUnauthorized: true,
        timeoutMs: 2_000,
      },
      mailFrom: TEST_MAIL_FROM,
      publicBaseUrl: TEST_PUBLIC_BASE_URL,
      linkSigningKey: TEST_LINK_KEY,
      webhook: { timeoutMs: 2_000, allowPrivateTargets: true },
      concurrency: 10,
      defaultMaxAlertsPerHour: 20,
      // Tests run digest passes themselves.
      digestIntervalMs: 3_600_000,
      outboxSweepIntervalMs: 200,
      observer: {
        ...noopDeliveryObserver,
        attempted: (channel, kind, outcome) => attempts.push({ channel, kind, outcome }),
      },
      ...options.notifier,
    });
    disposer.add(instance, (n) => n.stop());
    await instance.start();
    return instance;
  };

  const publishPreferences = async (preferences: Preferences): Promise<void> => {
    versions.set(preferences.userId, preferences);
    await required(gateway, 'gateway').publish(
      createEvent(EventType.userPreferencesChanged, preferences, {
        source: 'tickwatch/gateway',
        id: derivedEventId(EventType.userPreferencesChanged, [
          preferences.userId,
          preferences.version,
        ]),
      }),
    );
    const model = required(notifier, 'notifier').recipients;
    await pollUntil(
      `user ${preferences.userId} v${preferences.version} projected`,
      async () =>
        (await model.findById(preferences.userId).lean())?.version === preferences.version,
    );
  };

  before(async () => {
    sink = await startMailSink();
    vhost = await createTestVhost('notifier');
    gateway = testMessaging(vhost.url, { service: 'test-gateway', topology });
    await gateway.start();
    await gateway.consume(QUEUES.gatewayReadModels, {
      [EventType.notificationSent]: async (event, context) => {
        sent.push(event);
        const traceparent = context.headers[HEADERS.traceparent];
        if (typeof traceparent === 'string') traceparents.set(event.id, traceparent);
        await Promise.resolve();
      },
      [EventType.notificationFailed]: async (event) => {
        failed.push(event);
        await Promise.resolve();
      },
      [EventType.alertTriggered]: () => Promise.resolve(),
    });
    notifier = await startNotifier();
  });

  after(async () => {
    await disposer.disposeAll();
    await gateway?.close();
    await vhost?.delete();
    await sink?.stop();
  });

  const alertIdOf = (event: { data: { alertId: string | null } }) => event.data.alertId;

  return {
    get sink() {
      return required(sink, 'sink');
    },
    get vhost() {
      return required(vhost, 'vhost');
    },
    get notifier() {
      return required(notifier, 'notifier');
    },
    topology,
    attempts,
    sent,
    failed,
    publish: (event, trace) => required(gateway, 'gateway').publish(event, trace),
    traceparentOf: (eventId) => traceparents.get(eventId),
    async addUser(preferences = {}) {
      const userId = randomUUID();
      await publishPreferences({
        userId,
        version: 1,
        email: `user-${userId.slice(0, 8)}@example.com`,
        emailVerified: true,
        timeZone: 'Europe/London',
        alertsUnsubscribed: false,
        webhookUrl: null,
        webhookSecret: null,
        maxAlertsPerHour: 20,
        quietHours: null,
        ...preferences,
      });
      return userId;
    },
    async changeUser(userId, preferences) {
      const current = versions.get(userId);
      if (!current) throw new Error(`unknown test user ${userId}`);
      await publishPreferences({ ...current, ...preferences, version: current.version + 1 });
    },
    alertFor(userId, overrides = {}) {
      const ruleId = randomUUID();
      const data: Alert = {
        ...exampleData[EventType.alertTriggered],
        alertId: derivedEventId(EventType.alertTriggered, [ruleId, 1, 1]),
        ruleId,
        userId,
        ...overrides,
      };
      return createEvent(EventType.alertTriggered, data, {
        source: 'tickwatch/alerter',
        id: data.alertId,
      });
    },
    startReplica: startNotifier,
    sentFor: (alertId) => sent.filter((event) => alertIdOf(event) === alertId),
    failedFor: (alertId) => failed.filter((event) => alertIdOf(event) === alertId),
  };
}
