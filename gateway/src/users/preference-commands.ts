/**
 * Delivery preferences: time zone, hourly cap, quiet hours, webhook (set, rotate, clear), one-click
 * unsubscribe (and subscribing again), test notifications. Every change publishes user.preferences-changed with the FULL set of
 * preferences (not a diff) and the next preferences version, so the notifier can apply it
 * idempotently and ignore an older one arriving late.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  EventType,
  QuietHours as QuietHoursSchema,
  TimeZone,
  type Channel,
  type TickwatchEvent,
} from '@tickwatch/contracts';
import { badInput } from '../graphql/errors.ts';
import { contractRule } from './rule-commands.ts';
import { commandEvent, type Decision } from './user-store.ts';
import { addressOf, type Preferences, type QuietHours, type UserDocument } from './user-model.ts';

export const DEFAULT_MAX_ALERTS_PER_HOUR = 20;
const URL_MAX_LENGTH = 2048;

export function defaultPreferences(): Preferences {
  return {
    alertsUnsubscribed: false,
    webhookUrl: null,
    webhookSecret: null,
    maxAlertsPerHour: DEFAULT_MAX_ALERTS_PER_HOUR,
    quietHours: null,
    version: 0,
  };
}

/** Account fields user.preferences-changed also carries. */
export type AccountChange = Partial<Pick<UserDocument, 'email' | 'emailVerified' | 'timeZone'>>;

/**
 * The user's preferences (and account fields) changed as `change` and `account` say: the
 * write and its event.
 */
export function preferencesChange<R>(
  user: UserDocument,
  change: Partial<Preferences>,
  result: (preferences: Preferences) => R,
  account: AccountChange = {},
): Decision<R> {
  const current = { ...defaultPreferences(), ...user.preferences };
  const next: Preferences = { ...current, ...change, version: current.version + 1 };
  const after = { ...user, ...account };
  const event = commandEvent(EventType.userPreferencesChanged, {
    userId: user._id,
    version: next.version,
    email: addressOf(after) ?? '',
    emailVerified: after.emailVerified,
    timeZone: after.timeZone ?? 'UTC',
    alertsUnsubscribed: next.alertsUnsubscribed,
    webhookUrl: next.webhookUrl,
    webhookSecret: next.webhookSecret,
    maxAlertsPerHour: next.maxAlertsPerHour,
    quietHours: next.quietHours,
  });
  return {
    update: { $set: { ...account, preferences: next } },
    events: [event],
    result: result(next),
  };
}

export const MAX_ALERTS_PER_HOUR_LIMIT = 1000;

/** `quietHours` checked as the event's contract checks it; the error names the field. */
function validQuietHours(input: QuietHours): QuietHours {
  const parsed = QuietHoursSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  throw badInput(
    ['quietHours', ...(issue?.path ?? [])].join('.'),
    issue?.message ?? 'is not valid',
  );
}

/**
 * Time zone, hourly cap, unsubscribe, quiet hours; what is not given stays (quiet hours given
 * as null end). Nothing given, nothing changes.
 */
export function updatePreferences(
  user: UserDocument,
  input: {
    readonly timeZone?: string | null;
    readonly maxAlertsPerHour?: number | null;
    readonly alertsUnsubscribed?: boolean | null;
    readonly quietHours?: QuietHours | null;
  },
): Decision<null> {
  const account: AccountChange = {};
  const change: Partial<Preferences> = {};
  if (input.timeZone != null) {
    if (!TimeZone.safeParse(input.timeZone).success)
      throw badInput('timeZone', 'expected an IANA time zone name such as Europe/London');
    account.timeZone = input.timeZone;
  }
  if (input.maxAlertsPerHour != null) {
    const cap = input.maxAlertsPerHour;
    if (!Number.isInteger(cap) || cap < 1 || cap > MAX_ALERTS_PER_HOUR_LIMIT)
      throw badInput('maxAlertsPerHour', `must be between 1 and ${MAX_ALERTS_PER_HOUR_LIMIT}`);
    change.maxAlertsPerHour = cap;
  }
  if (input.alertsUnsubscribed != null) change.alertsUnsubscribed = input.alertsUnsubscribed;
  if (input.quietHours !== undefined) {
    change.quietHours = input.quietHours === null ? null : validQuietHours(input.quietHours);
  }
  if (Object.keys(account).length + Object.keys(change).length === 0)
    return { update: {}, events: [], result: null };
  return preferencesChange(user, change, () => null, account);
}

/** http(s) only, no credentials in it, bounded: what the notifier will POST to. */
export function validWebhookUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw badInput('url', 'is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw badInput('url', 'must be http or https');
  if (url.username || url.password) throw badInput('url', 'must not contain credentials');
  if (url.hash) throw badInput('url', 'must not have a #fragment');
  const text = url.toString();
  if (text.length > URL_MAX_LENGTH)
    throw badInput('url', `must be at most ${URL_MAX_LENGTH} characters`);
  return text;
}

/** A new HMAC key for `X-Tickwatch-Signature`: 256 random bits. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export interface WebhookAnswer {
  readonly url: string;
  readonly secret: string;
}

export function setWebhook(user: UserDocument, urlInput: string): Decision<WebhookAnswer> {
  const url = validWebhookUrl(urlInput);
  const secret = newWebhookSecret();
  return preferencesChange(user, { webhookUrl: url, webhookSecret: secret }, () => ({
    url,
    secret,
  }));
}

export function rotateWebhookSecret(user: UserDocument): Decision<WebhookAnswer> {
  const url = user.preferences?.webhookUrl;
  if (!url) throw badInput('url', 'there is no webhook to rotate: call setWebhook');
  return setWebhook(user, url);
}

/** Also takes WEBHOOK off every rule: without a URL the channel could never deliver. */
export function clearWebhook(user: UserDocument, now = new Date()): Decision<null> {
  if (!user.preferences?.webhookUrl) return { update: {}, events: [], result: null };
  const decision = preferencesChange(user, { webhookUrl: null, webhookSecret: null }, () => null);
  const ruleEvents: TickwatchEvent[] = [];
  const rules = user.rules.map((rule) => {
    if (!rule.channels.includes('WEBHOOK')) return rule;
    const channels = rule.channels.filter((c) => c !== 'WEBHOOK');
    const next = {
      ...rule,
      channels: channels.length > 0 ? channels : (['EMAIL'] as Channel[]),
      version: rule.version + 1,
      updatedAt: now.toISOString(),
    };
    ruleEvents.push(commandEvent(EventType.ruleUpdated, { rule: contractRule(next) }));
    return next;
  });
  return {
    update: { $set: { ...(decision.update.$set as object), rules } },
    events: [...decision.events, ...ruleEvents],
    result: null,
  };
}

/** RFC 8058 one-click unsubscribe; unsubscribing twice changes nothing. */
export function unsubscribe(user: UserDocument): Decision<boolean> {
  if (user.preferences?.alertsUnsubscribed) return { update: {}, events: [], result: false };
  return preferencesChange(user, { alertsUnsubscribed: true }, () => true);
}

export interface TestNotificationAnswer {
  readonly requestId: string;
  readonly channels: Channel[];
}

/** Default channels: every channel the user has configured. */
export function requestTestNotification(
  user: UserDocument,
  channelsInput: readonly Channel[] | null | undefined,
): Decision<TestNotificationAnswer> {
  const hasWebhook = Boolean(user.preferences?.webhookUrl);
  const channels = [
    ...new Set(channelsInput ?? (hasWebhook ? ['EMAIL', 'WEBHOOK'] : ['EMAIL'])),
  ] as Channel[];
  if (channels.length === 0) throw badInput('channels', 'give at least one channel');
  if (channels.includes('WEBHOOK') && !hasWebhook)
    throw badInput('channels', 'WEBHOOK needs a webhook: call setWebhook first');
  const requestId = randomUUID();
  return {
    update: {},
    events: [
      commandEvent(EventType.notificationRequested, { requestId, userId: user._id, channels }),
    ],
    result: { requestId, channels },
  };
}
