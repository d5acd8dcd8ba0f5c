/**
 * What resolvers return for the schema's object types, built from documents and read rows.
 * Subscriptions (live/live-hub.ts) return the same shapes: a pushed quote or alert is rendered by the
 * client's code for a queried one.
 */
import type { ReadQueries } from '../../read/read-queries.ts';
import type { AlertRow } from '../../read/models.ts';
import { ruleStatus, type RuleStatus } from '../../users/rule-status.ts';
import {
  addressOf,
  changingTo,
  type StoredRule,
  type UserDocument,
} from '../../users/user-model.ts';

export interface RuleView extends StoredRule {
  readonly status: RuleStatus;
}

/** Rules with their status: one alert-history query for the whole list. */
export async function ruleViews(
  reads: ReadQueries,
  userId: string,
  rules: readonly StoredRule[],
  now = new Date(),
): Promise<RuleView[]> {
  const once = rules.filter((r) => r.frequency === 'ONCE').map((r) => r.id);
  const fired = await reads.firedRuleVersions(userId, once);
  return rules.map((rule) => ({
    ...rule,
    status: ruleStatus(rule, {
      now,
      firedThisVersion: fired.has(`${rule.id}@${rule.version}`),
      tickerUnknown: reads.isTickerUnknown(rule.ticker),
    }),
  }));
}

export function userView(user: UserDocument) {
  return {
    id: user._id,
    email: addressOf(user) ?? '',
    emailVerified: user.emailVerified,
    pendingEmail: changingTo(user) ?? null,
    timeZone: user.timeZone ?? 'UTC',
    alertsUnsubscribed: user.preferences?.alertsUnsubscribed ?? false,
    webhookUrl: user.preferences?.webhookUrl ?? null,
    maxAlertsPerHour: user.preferences?.maxAlertsPerHour ?? 20,
    quietHours: user.preferences?.quietHours ?? null,
    ruleCount: user.rules.length,
    watchCount: user.watchlist.length,
    createdAt: user.createdAt,
  };
}

export function alertView(row: AlertRow) {
  return { ...row, id: row._id };
}
