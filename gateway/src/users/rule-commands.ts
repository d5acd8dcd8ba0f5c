/**
 * The alert-rule commands: each decides on the user document it is given and returns the
 * change, its rule.* event (the whole rule, new version) and the answer; user-store.ts writes
 * them as one. Rules of other users are never found: a user's rules live in their document.
 */
import { randomUUID } from 'node:crypto';
import { EventType, type Rule } from '@tickwatch/contracts';
import { badInput, conflict, notFound } from '../graphql/errors.ts';
import {
  DEFAULT_COOLDOWN_SECONDS,
  rangeCondition,
  ruleFromInput,
  validTicker,
  checkAgainstContract,
  type AlertRuleInput,
} from './rule-input.ts';
import { commandEvent, type Decision } from './user-store.ts';
import { MAX_RULES, type StoredRule, type UserDocument } from './user-model.ts';

const webhookConfigured = (user: UserDocument): boolean => Boolean(user.preferences?.webhookUrl);

/** The rule as events carry it: the contract's fields only. */
export function contractRule(rule: StoredRule): Rule {
  const { name: _name, thresholds: _thresholds, ...contract } = rule;
  return contract;
}

const created = (rule: StoredRule) =>
  commandEvent(EventType.ruleCreated, { rule: contractRule(rule) });
const updated = (rule: StoredRule) =>
  commandEvent(EventType.ruleUpdated, { rule: contractRule(rule) });

function roomForOneMore(user: UserDocument, field: string): void {
  if (user.rules.length >= MAX_RULES)
    throw badInput(field, `a user has at most ${MAX_RULES} rules`);
}

function findRule(user: UserDocument, id: string): StoredRule {
  const rule = user.rules.find((r) => r.id === id);
  if (!rule) throw notFound(`alert rule ${id}`);
  return rule;
}

/** The rules with `next` in place of the rule of the same id. */
function replaced(user: UserDocument, next: StoredRule): StoredRule[] {
  return user.rules.map((r) => (r.id === next.id ? next : r));
}

function changed(user: UserDocument, next: StoredRule): Decision<StoredRule> {
  return {
    update: { $set: { rules: replaced(user, next) } },
    events: [updated(next)],
    result: next,
  };
}

export function createRule(
  user: UserDocument,
  input: AlertRuleInput,
  now = new Date(),
): Decision<StoredRule> {
  roomForOneMore(user, 'input');
  const rule = ruleFromInput(input, {
    id: randomUUID(),
    userId: user._id,
    version: 1,
    createdAt: now.toISOString(),
    now,
    webhookConfigured: webhookConfigured(user),
  });
  return { update: { $push: { rules: rule } }, events: [created(rule)], result: rule };
}

export function updateRule(
  user: UserDocument,
  id: string,
  input: AlertRuleInput,
  expectedVersion: number,
  now = new Date(),
): Decision<StoredRule> {
  const current = findRule(user, id);
  if (current.version !== expectedVersion) {
    throw conflict(`alert rule ${id} is at version ${current.version}, not ${expectedVersion}`, {
      currentVersion: current.version,
    });
  }
  const next = ruleFromInput(input, {
    id,
    userId: user._id,
    version: current.version + 1,
    createdAt: current.createdAt,
    now,
    webhookConfigured: webhookConfigured(user),
    thresholds: current.thresholds ?? false,
  });
  // Another ticker is another partition: the alerter's copy would stay behind on the old one.
  if (next.ticker !== current.ticker) {
    throw badInput('input.ticker', "a rule's ticker cannot change: create a new rule instead");
  }
  return changed(user, next);
}

export function deleteRule(user: UserDocument, id: string, now = new Date()): Decision<string> {
  const current = findRule(user, id);
  const gone: StoredRule = {
    ...current,
    version: current.version + 1,
    updatedAt: now.toISOString(),
  };
  return {
    update: { $set: { rules: user.rules.filter((r) => r.id !== id) } },
    events: [commandEvent(EventType.ruleDeleted, { rule: contractRule(gone) })],
    result: id,
  };
}

/** Pausing a paused rule (or resuming an active one) changes nothing and publishes nothing. */
export function setPaused(
  user: UserDocument,
  id: string,
  paused: boolean,
  now = new Date(),
): Decision<StoredRule> {
  const current = findRule(user, id);
  if (current.paused === paused) return { update: {}, events: [], result: current };
  return changed(user, {
    ...current,
    paused,
    version: current.version + 1,
    updatedAt: now.toISOString(),
  });
}

/**
 * The original CreateUser/ModifyHighLow: one OUTSIDE_RANGE rule per user and ticker, alerting
 * while the price is outside [low, high] at most every 30 minutes (the original anti-spam).
 */
export function setThresholds(
  user: UserDocument,
  tickerInput: string,
  low: number,
  high: number,
  now = new Date(),
): Decision<StoredRule> {
  const ticker = validTicker(tickerInput, 'ticker');
  const condition = rangeCondition(low, high, '');
  const existing = user.rules.find((r) => r.thresholds && r.ticker === ticker);
  if (existing) {
    const next = {
      ...existing,
      condition,
      version: existing.version + 1,
      updatedAt: now.toISOString(),
    };
    checkAgainstContract(next);
    return changed(user, next);
  }
  roomForOneMore(user, 'ticker');
  const rule: StoredRule = {
    id: randomUUID(),
    userId: user._id,
    ticker,
    condition,
    frequency: 'WHILE_TRUE',
    cooldownSeconds: DEFAULT_COOLDOWN_SECONDS,
    hysteresisPercent: 0,
    expiresAt: null,
    paused: false,
    channels: ['EMAIL'],
    version: 1,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    name: `${ticker} thresholds`,
    thresholds: true,
  };
  checkAgainstContract(rule);
  return { update: { $push: { rules: rule } }, events: [created(rule)], result: rule };
}
