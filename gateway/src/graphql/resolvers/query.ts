/** Query resolvers: the read side, always scoped to the caller. */
import type { PriceInterval } from '../../read/read-queries.ts';
import type { RuleStatus } from '../../users/rule-status.ts';
import { normalizeTicker } from '@tickwatch/contracts';
import { requireViewer, viewerUser, type GatewayContext } from '../context.ts';
import { alertView, ruleViews, userView } from './views.ts';

type Args<T> = (parent: unknown, args: T, context: GatewayContext) => unknown;

interface Filter {
  readonly ticker?: string | null;
  readonly status?: RuleStatus | null;
}

const ping: Args<object> = (_, __, context) => ({
  service: 'gateway',
  version: context.services.version,
  ready: context.services.ready(),
  time: new Date(),
});

const me: Args<object> = async (_, __, context) => userView(await viewerUser(context));

const alertRules: Args<{ filter?: Filter | null }> = async (_, { filter }, context) => {
  const user = await viewerUser(context);
  const ticker = filter?.ticker ? normalizeTicker(filter.ticker) : null;
  const rules = [...user.rules].reverse().filter((rule) => !ticker || rule.ticker === ticker);
  const views = await ruleViews(context.services.reads, user._id, rules);
  return filter?.status ? views.filter((view) => view.status === filter.status) : views;
};

const alertRule: Args<{ id: string }> = async (_, { id }, context) => {
  const user = await viewerUser(context);
  const rule = user.rules.find((r) => r.id === id);
  return rule ? (await ruleViews(context.services.reads, user._id, [rule]))[0] : null;
};

const watchlist: Args<object> = async (_, __, context) => (await viewerUser(context)).watchlist;

const quote: Args<{ ticker: string }> = (_, { ticker }, context) => {
  requireViewer(context);
  return context.services.reads.quote(ticker);
};

const quotes: Args<{ tickers: string[] }> = (_, { tickers }, context) => {
  requireViewer(context);
  return context.services.reads.quotes(tickers);
};

const averagePrice: Args<{ ticker: string; days: number }> = (_, { ticker, days }, context) => {
  requireViewer(context);
  return context.services.reads.averagePrice(ticker, days);
};

const priceHistory: Args<{ ticker: string; from: Date; to: Date; interval: PriceInterval }> = (
  _,
  args,
  context,
) => {
  requireViewer(context);
  return context.services.reads.priceHistory(args.ticker, args.from, args.to, args.interval);
};

const movingAverages: Args<{ ticker: string }> = (_, { ticker }, context) => {
  requireViewer(context);
  return context.services.reads.movingAverages(ticker);
};

const alerts: Args<{ first: number; after?: string | null }> = async (
  _,
  { first, after },
  context,
) => {
  const page = await context.services.reads.alerts(requireViewer(context).userId, first, after);
  return { ...page, edges: page.edges.map((edge) => ({ ...edge, node: alertView(edge.node) })) };
};

const notifications: Args<{ first: number; after?: string | null }> = (
  _,
  { first, after },
  context,
) => context.services.reads.notifications(requireViewer(context).userId, first, after);

export const queryResolvers = {
  ping,
  me,
  alertRules,
  alertRule,
  watchlist,
  quote,
  quotes,
  averagePrice,
  priceHistory,
  movingAverages,
  alerts,
  notifications,
};
