/**
 * Subscription resolvers (graphql-ws only, live/ws-server.ts): each opens a stream on the
 * hub's topics and pushes the same types the queries return. A user's alerts and deliveries
 * are the topics of the user id in the verified token: no argument can name another user's.
 */
import { MAX_QUOTES } from '../../read/read-queries.ts';
import { topics, type LiveField } from '../../live/live-hub.ts';
import { validTicker } from '../../users/rule-input.ts';
import { requireViewer, type GatewayContext } from '../context.ts';
import { badInput } from '../errors.ts';

function open(context: GatewayContext, field: LiveField, names: readonly string[]) {
  requireViewer(context);
  if (!context.live) throw badInput(field, 'subscriptions are served over graphql-ws');
  return context.services.live.open(context.live, field, names);
}

/** The hub's payload is already the field's value. */
const resolve = (payload: unknown) => payload;

export const subscriptionResolvers = {
  priceUpdated: {
    subscribe: (_: unknown, { tickers }: { tickers: string[] }, context: GatewayContext) => {
      if (tickers.length < 1 || tickers.length > MAX_QUOTES)
        throw badInput('tickers', `from 1 to ${MAX_QUOTES} tickers`);
      const unique = new Set(
        tickers.map((ticker, index) => validTicker(ticker, `tickers.${index}`)),
      );
      return open(context, 'priceUpdated', [...unique].map(topics.price));
    },
    resolve,
  },
  movingAverageUpdated: {
    subscribe: (_: unknown, { ticker }: { ticker: string }, context: GatewayContext) =>
      open(context, 'movingAverageUpdated', [topics.average(validTicker(ticker, 'ticker'))]),
    resolve,
  },
  alertTriggered: {
    subscribe: (_: unknown, __: unknown, context: GatewayContext) =>
      open(context, 'alertTriggered', [topics.alerts(requireViewer(context).userId)]),
    resolve,
  },
  notificationUpdated: {
    subscribe: (_: unknown, __: unknown, context: GatewayContext) =>
      open(context, 'notificationUpdated', [topics.deliveries(requireViewer(context).userId)]),
    resolve,
  },
};
