/** Watchlist commands: a ticker collected for the user without a rule (≤ 200 per user). */
import { randomUUID } from 'node:crypto';
import { EventType } from '@tickwatch/contracts';
import { badInput } from '../graphql/errors.ts';
import { validTicker } from './rule-input.ts';
import { commandEvent, type Decision } from './user-store.ts';
import { MAX_WATCHES, type StoredWatch, type UserDocument } from './user-model.ts';

/** Watching a watched ticker answers the existing watch and publishes nothing. */
export function watchTicker(
  user: UserDocument,
  tickerInput: string,
  now = new Date(),
): Decision<StoredWatch> {
  const ticker = validTicker(tickerInput, 'ticker');
  const existing = user.watchlist.find((w) => w.ticker === ticker);
  if (existing) return { update: {}, events: [], result: existing };
  if (user.watchlist.length >= MAX_WATCHES) {
    throw badInput('ticker', `a watchlist holds at most ${MAX_WATCHES} tickers`);
  }
  const watch: StoredWatch = { id: randomUUID(), ticker, addedAt: now };
  return {
    update: { $push: { watchlist: watch } },
    events: [commandEvent(EventType.watchAdded, { watchId: watch.id, userId: user._id, ticker })],
    result: watch,
  };
}

export function unwatchTicker(user: UserDocument, tickerInput: string): Decision<boolean> {
  const ticker = validTicker(tickerInput, 'ticker');
  const existing = user.watchlist.find((w) => w.ticker === ticker);
  if (!existing) return { update: {}, events: [], result: false };
  return {
    update: { $pull: { watchlist: { id: existing.id } } },
    events: [
      commandEvent(EventType.watchRemoved, { watchId: existing.id, userId: user._id, ticker }),
    ],
    result: true,
  };
}
