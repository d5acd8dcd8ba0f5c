/**
 * The TTL monitor: every interval, deletes documents whose TTL-indexed date is older than
 * `expireAfterSeconds` (for an array of dates, its earliest, as on the server). The sweep scans
 * the TTL index's date range up to the cutoff, so it touches only expired documents; deletions
 * go through the collection, hence the journal, like any other delete.
 */
import type { Logger } from 'pino';
import type { Catalog } from './catalog.ts';

export interface TtlSweeper {
  /** Runs one pass now; returns the number of documents deleted. */
  sweep(now?: Date): number;
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
  const sweep = (now = new Date()): number => {
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
        for (const id of expired) if (collection.delete(id)) deleted++;
      }
    }
    if (deleted > 0) logger.debug({ deleted }, 'TTL sweep deleted expired documents');
    return deleted;
  };
  const timer = setInterval(() => {
    try {
      sweep();
    } catch (error) {
      logger.error({ err: error }, 'TTL sweep failed');
    }
  }, intervalMs);
  timer.unref();
  return {
    sweep,
    stop: () => {
      clearInterval(timer);
    },
  };
}
