/**
 * The TTL monitor: every interval, deletes documents whose TTL-indexed date is older than
 * `expireAfterSeconds` (for an array of dates, its earliest, as on the server). The sweep scans
 * the TTL index's date range up to the cutoff, so it touches only expired documents; deletions
 * go through the collection, hence the journal, like any other delete. A pass works in slices
 * like any long command, so a large expiry does not hold up the clients.
 */
import type { Logger } from 'pino';
import { Operation } from '../server/operation.ts';
import type { Catalog } from './catalog.ts';

export interface TtlSweeper {
  /** Runs one pass now; resolves to the number of documents deleted. */
  sweep(now?: Date): Promise<number>;
  stop(): void;
}

/** The earliest representable Date: a lower bound for the date range of a TTL index. */
const MIN_DATE = new Date(-8.64e15);

export function startTtlSweeper(options: {
  catalog: Catalog;
  intervalMs: number;
  logger: Logger;
}): TtlSweeper {
  const { catalog, intervalMs, logger } = options;
  let running: Promise<number> | undefined;
  const pass = async (now: Date): Promise<number> => {
    const operation = new Operation();
    let deleted = 0;
    for (const collection of catalog.allCollections()) {
      for (const index of collection.indexes) {
        const seconds = index.spec.expireAfterSeconds;
        if (seconds === undefined) continue;
        const cutoff = new Date(now.getTime() - seconds * 1000);
        const expired = new Set(
          index.scan({
            prefix: [],
            lower: { value: MIN_DATE, inclusive: true },
            upper: { value: cutoff, inclusive: true },
          }),
        );
        for (const id of expired) {
          if (operation.due()) await operation.yieldTurn();
          if (collection.dropped) break;
          // Still expired? A client may have updated the date meanwhile.
          const doc = collection.get(id);
          if (doc && index.keysOf(doc).some((key) => isExpired(key[0], cutoff)))
            if (collection.delete(id)) deleted++;
        }
      }
    }
    if (deleted > 0) logger.debug({ deleted }, 'TTL sweep deleted expired documents');
    return deleted;
  };
  const sweep = (now = new Date()): Promise<number> =>
    (running ??= pass(now).finally(() => {
      running = undefined;
    }));
  const timer = setInterval(() => {
    sweep().catch((error: unknown) => {
      logger.error({ err: error }, 'TTL sweep failed');
    });
  }, intervalMs);
  timer.unref();
  return {
    sweep,
    stop: () => {
      clearInterval(timer);
    },
  };
}

function isExpired(value: unknown, cutoff: Date): boolean {
  return value instanceof Date && value.getTime() <= cutoff.getTime();
}
