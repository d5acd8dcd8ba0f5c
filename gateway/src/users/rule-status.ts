/**
 * A rule's status as users see it, from the rule and two facts of the read side: whether this
 * version of a ONCE rule fired (alert history) and whether the collector's source refused the
 * ticker (ticker.rejected). Ordered by what the user can do about it: a fired or expired rule
 * is finished; an unknown ticker cannot fire whatever the rule says; then the user's own pause.
 */
import type { Rule } from '@tickwatch/contracts';

export const RuleStatus = {
  active: 'ACTIVE',
  paused: 'PAUSED',
  expired: 'EXPIRED',
  triggered: 'TRIGGERED',
  tickerUnknown: 'TICKER_UNKNOWN',
} as const;
export type RuleStatus = (typeof RuleStatus)[keyof typeof RuleStatus];

export interface RuleFacts {
  readonly now: Date;
  /** An alert exists for this rule at its current version. */
  readonly firedThisVersion: boolean;
  readonly tickerUnknown: boolean;
}

export function ruleStatus(
  rule: Pick<Rule, 'frequency' | 'expiresAt' | 'paused'>,
  facts: RuleFacts,
): RuleStatus {
  if (rule.frequency === 'ONCE' && facts.firedThisVersion) return RuleStatus.triggered;
  if (rule.expiresAt !== null && Date.parse(rule.expiresAt) <= facts.now.getTime())
    return RuleStatus.expired;
  if (facts.tickerUnknown) return RuleStatus.tickerUnknown;
  if (rule.paused) return RuleStatus.paused;
  return RuleStatus.active;
}
