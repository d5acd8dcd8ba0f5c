/** watch.* event payloads: a user watches a ticker (the collector polls what anyone watches). */
import { z } from 'zod';
import { Ticker } from '../ticker.ts';
import { Id } from './common.ts';

export const WatchChanged = z.object({
  watchId: Id,
  userId: Id,
  ticker: Ticker,
});
