/**
 * The v1 event catalogue: every event type, its payload schema, and for per-ticker events where
 * the ticker is (it decides the routing key's partition and ticker word).
 */
import { z } from 'zod';
import {
  AccountEmailChangeRequested,
  AccountPasswordResetRequested,
  AccountRegistrationAttempted,
  AccountVerificationRequested,
} from './schemas/account.ts';
import { AlertTriggered } from './schemas/alert.ts';
import {
  AveragesUpdated,
  InterestRenewed,
  PriceUpdated,
  TickerRejected,
} from './schemas/market.ts';
import {
  NotificationFailed,
  NotificationRequested,
  NotificationSent,
} from './schemas/notification.ts';
import { Rule } from './schemas/rule.ts';
import { UserDeleted, UserPreferencesChanged, UserRegistered } from './schemas/user.ts';
import { WatchChanged } from './schemas/watch.ts';

interface EventDefinition<Data extends z.ZodType> {
  /** The name inside the type and the first words of the routing key, e.g. `price.updated`. */
  readonly name: string;
  readonly data: Data;
  /** Per-ticker events: the ticker in the payload. Others are routed by name alone. */
  readonly tickerOf: ((data: z.output<Data>) => string) | null;
  readonly description: string;
}

function define<Data extends z.ZodType>(definition: EventDefinition<Data>): EventDefinition<Data> {
  return definition;
}

const RuleEvent = z.object({ rule: Rule });

export const catalogue = {
  'tickwatch.user.registered.v1': define({
    name: 'user.registered',
    data: UserRegistered,
    tickerOf: null,
    description: 'An account was created (its email is not verified yet).',
  }),
  'tickwatch.user.preferences-changed.v1': define({
    name: 'user.preferences-changed',
    data: UserPreferencesChanged,
    tickerOf: null,
    description: 'Email, verification, time zone, unsubscribe, webhook or cap changed.',
  }),
  'tickwatch.user.deleted.v1': define({
    name: 'user.deleted',
    data: UserDeleted,
    tickerOf: null,
    description: 'An account was deleted: every service purges its data for this user.',
  }),
  'tickwatch.account.verification-requested.v1': define({
    name: 'account.verification-requested',
    data: AccountVerificationRequested,
    tickerOf: null,
    description: 'Send the email verification link (registration, resend).',
  }),
  'tickwatch.account.password-reset-requested.v1': define({
    name: 'account.password-reset-requested',
    data: AccountPasswordResetRequested,
    tickerOf: null,
    description: 'Send the password reset link to a registered address.',
  }),
  'tickwatch.account.email-change-requested.v1': define({
    name: 'account.email-change-requested',
    data: AccountEmailChangeRequested,
    tickerOf: null,
    description: 'Send the link confirming a new address to that address.',
  }),
  'tickwatch.account.registration-attempted.v1': define({
    name: 'account.registration-attempted',
    data: AccountRegistrationAttempted,
    tickerOf: null,
    description: "Tell an address's owner that someone tried to register with it.",
  }),
  'tickwatch.rule.created.v1': define({
    name: 'rule.created',
    data: RuleEvent,
    tickerOf: (data) => data.rule.ticker,
    description: 'A user created an alert rule (the whole rule, version 1).',
  }),
  'tickwatch.rule.updated.v1': define({
    name: 'rule.updated',
    data: RuleEvent,
    tickerOf: (data) => data.rule.ticker,
    description: 'A rule changed, paused or resumed (the whole rule, new version).',
  }),
  'tickwatch.rule.deleted.v1': define({
    name: 'rule.deleted',
    data: RuleEvent,
    tickerOf: (data) => data.rule.ticker,
    description: 'A rule was deleted (the whole rule as deleted, new version).',
  }),
  'tickwatch.watch.added.v1': define({
    name: 'watch.added',
    data: WatchChanged,
    tickerOf: (data) => data.ticker,
    description: 'A ticker was added to a watchlist.',
  }),
  'tickwatch.watch.removed.v1': define({
    name: 'watch.removed',
    data: WatchChanged,
    tickerOf: (data) => data.ticker,
    description: 'A ticker was removed from a watchlist.',
  }),
  'tickwatch.price.updated.v1': define({
    name: 'price.updated',
    data: PriceUpdated,
    tickerOf: (data) => data.ticker,
    description: 'A new quote (a newer market time) for a ticker.',
  }),
  'tickwatch.ticker.rejected.v1': define({
    name: 'ticker.rejected',
    data: TickerRejected,
    tickerOf: (data) => data.ticker,
    description: 'The quote source does not know a ticker (reported once per ticker).',
  }),
  'tickwatch.interest.renewed.v1': define({
    name: 'interest.renewed',
    data: InterestRenewed,
    tickerOf: (data) => data.ticker,
    description: 'A holder renewed its lease on a ticker nobody else watches (live feeds).',
  }),
  'tickwatch.averages.updated.v1': define({
    name: 'averages.updated',
    data: AveragesUpdated,
    tickerOf: null,
    description: "Moving averages moved: a batch's newest per ticker and window (≤ 500 each).",
  }),
  'tickwatch.alert.triggered.v1': define({
    name: 'alert.triggered',
    data: AlertTriggered,
    tickerOf: (data) => data.ticker,
    description: "A rule's condition fired for a quote.",
  }),
  'tickwatch.notification.requested.v1': define({
    name: 'notification.requested',
    data: NotificationRequested,
    tickerOf: null,
    description: 'A user asked for a test notification.',
  }),
  'tickwatch.notification.sent.v1': define({
    name: 'notification.sent',
    data: NotificationSent,
    tickerOf: null,
    description: 'A notification was delivered on one channel.',
  }),
  'tickwatch.notification.failed.v1': define({
    name: 'notification.failed',
    data: NotificationFailed,
    tickerOf: null,
    description: 'A delivery failed (permanently, or before a retry).',
  }),
} as const;

export type EventType = keyof typeof catalogue;
export type EventData<T extends EventType> = z.output<(typeof catalogue)[T]['data']>;

/** Event types by short key, for code: `EventType.priceUpdated`. */
export const EventType = {
  userRegistered: 'tickwatch.user.registered.v1',
  userPreferencesChanged: 'tickwatch.user.preferences-changed.v1',
  userDeleted: 'tickwatch.user.deleted.v1',
  accountVerificationRequested: 'tickwatch.account.verification-requested.v1',
  accountPasswordResetRequested: 'tickwatch.account.password-reset-requested.v1',
  accountEmailChangeRequested: 'tickwatch.account.email-change-requested.v1',
  accountRegistrationAttempted: 'tickwatch.account.registration-attempted.v1',
  ruleCreated: 'tickwatch.rule.created.v1',
  ruleUpdated: 'tickwatch.rule.updated.v1',
  ruleDeleted: 'tickwatch.rule.deleted.v1',
  watchAdded: 'tickwatch.watch.added.v1',
  watchRemoved: 'tickwatch.watch.removed.v1',
  priceUpdated: 'tickwatch.price.updated.v1',
  tickerRejected: 'tickwatch.ticker.rejected.v1',
  interestRenewed: 'tickwatch.interest.renewed.v1',
  averagesUpdated: 'tickwatch.averages.updated.v1',
  alertTriggered: 'tickwatch.alert.triggered.v1',
  notificationRequested: 'tickwatch.notification.requested.v1',
  notificationSent: 'tickwatch.notification.sent.v1',
  notificationFailed: 'tickwatch.notification.failed.v1',
} as const satisfies Record<string, EventType>;

export const EVENT_TYPES = Object.keys(catalogue) as readonly EventType[];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(catalogue, type);
}

/** `tickwatch.price.updated.v1` → `price.updated`. */
export function eventName(type: EventType): string {
  return catalogue[type].name;
}
