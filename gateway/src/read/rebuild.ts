/**
 * Rebuilds the gateway's read models from the event log (`npm run rebuild -- gateway`): empties
 * the read collections (never `users`: the command side is the source of truth, not a
 * projection), then replays the `tickwatch.log` stream from its first retained event through
 * the same batch projection the live consumer uses, each event id once.
 *
 * What it can restore: what the log still holds (7 days, less once its 5 GB cap is reached):
 * latest quotes, minute and day buckets of those days, moving averages, alert history, delivery
 * status, refused tickers. What it cannot: anything older (price history and alerts beyond the
 * log's window are gone for good; averagePrice over more days than the log holds counts fewer
 * samples), and alerts of users deleted since (skipped on purpose).
 */
import type { Logger } from '@tickwatch/infra/log';
import { readEventLog } from '@tickwatch/infra/messaging';
import { connectMongo } from '@tickwatch/infra/mongo';
import { userModel } from '../users/user-model.ts';
import { createMarketMemory } from './market-memory.ts';
import { ensureReadIndexes, readModels } from './models.ts';
import { createBatchProjection, PROJECTED_TYPES } from './projector.ts';

export interface RebuildSummary {
  readonly read: number;
  readonly projected: number;
  readonly duplicates: number;
  readonly invalid: number;
}

export async function rebuildReadModels(options: {
  readonly mongoUrl: string;
  readonly rabbitmqUrl: string;
  readonly retentionDays: number;
  readonly logger: Logger;
  readonly dbName?: string;
  readonly stream?: string;
}): Promise<RebuildSummary> {
  const { logger } = options;
  const mongo = await connectMongo({
    url: options.mongoUrl,
    service: 'gateway',
    logger,
    ...(options.dbName ? { dbName: options.dbName } : {}),
  });
  try {
    const models = readModels(mongo.connection);
    const users = userModel(mongo.connection);
    await ensureReadIndexes(models);
    await Promise.all(
      Object.values(models).map((model: typeof models.quotes) => model.deleteMany({})),
    );
    logger.info('read models emptied; replaying the event log');
    const project = createBatchProjection({
      models,
      memory: createMarketMemory(models),
      retentionDays: options.retentionDays,
      liveUsers: async (ids) =>
        new Set(
          (
            await users
              .find({ _id: { $in: ids }, deletedAt: { $exists: false } }, { _id: 1 })
              .lean()
          ).map((u) => u._id),
        ),
    });
    const projectedTypes = new Set<string>(PROJECTED_TYPES);
    const seen = new Set<string>();
    let projected = 0;
    let duplicates = 0;
    const { read, invalid } = await readEventLog({
      url: options.rabbitmqUrl,
      ...(options.stream ? { stream: options.stream } : {}),
      onBatch: async (events) => {
        const fresh = events.filter((event) => {
          if (!projectedTypes.has(event.type)) return false;
          if (seen.has(event.id)) {
            duplicates += 1;
            return false;
          }
          seen.add(event.id);
          return true;
        });
        await project(fresh);
        projected += fresh.length;
      },
    });
    return { read, projected, duplicates, invalid };
  } finally {
    await mongo.stop();
  }
}
