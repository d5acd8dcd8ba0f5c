export {
  AccountEmailChangeRequested,
  AccountPasswordResetRequested,
  AccountVerificationRequested,
} from './account.ts';
export { AlertTriggered } from './alert.ts';
export { AverageWindowMinutes, Channel, Currency, Id, Instant, Price, TimeZone } from './common.ts';
export {
  AveragesUpdated,
  InterestRenewed,
  MarketState,
  MAX_AVERAGES_PER_EVENT,
  MovingAverage,
  PriceUpdated,
  QuoteSource,
  TickerRejected,
  TickerRejectionReason,
} from './market.ts';
export { NotificationFailed, NotificationRequested, NotificationSent } from './notification.ts';
export { Condition, Frequency, Rule, type ConditionType } from './rule.ts';
export { QuietHours, UserDeleted, UserPreferencesChanged, UserRegistered } from './user.ts';
export { WatchChanged } from './watch.ts';
