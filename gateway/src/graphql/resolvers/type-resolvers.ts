/** Field resolvers of object types whose fields are not plain properties. */
import type { Condition } from '@tickwatch/contracts';
import type { GatewayContext } from '../context.ts';
import { requireViewer } from '../context.ts';
import type { NotificationRow } from '../../read/models.ts';
import type { RuleView } from './views.ts';

const CONDITION_TYPES: Record<Condition['type'], string> = {
  ABOVE: 'AboveCondition',
  BELOW: 'BelowCondition',
  OUTSIDE_RANGE: 'OutsideRangeCondition',
  PERCENT_CHANGE: 'PercentChangeCondition',
  MOVING_AVERAGE_DEVIATION: 'MovingAverageDeviationCondition',
  AVERAGE_MOVE: 'AverageMoveCondition',
};

const withQuote = {
  quote: (parent: { ticker: string }, _: unknown, context: GatewayContext) =>
    context.services.reads.latestQuote(parent.ticker),
};

export const typeResolvers = {
  Condition: {
    __resolveType: (condition: Condition) => CONDITION_TYPES[condition.type],
  },
  AlertRule: {
    ...withQuote,
    name: (rule: RuleView) => rule.name ?? null,
    thresholds: (rule: RuleView) => rule.thresholds ?? false,
  },
  WatchedTicker: withQuote,
  Quote: {
    change: (quote: { price: number; previousClose: number | null }) =>
      quote.previousClose === null ? null : quote.price - quote.previousClose,
    changePercent: (quote: { price: number; previousClose: number | null }) =>
      quote.previousClose === null
        ? null
        : ((quote.price - quote.previousClose) / quote.previousClose) * 100,
  },
  Alert: {
    deliveries: (alert: { id: string }, _: unknown, context: GatewayContext) =>
      context.services.reads.deliveriesOf(requireViewer(context).userId, alert.id),
  },
  Notification: {
    id: (row: NotificationRow) => row._id,
  },
};
