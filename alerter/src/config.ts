/** The alerter's configuration: every variable, its default and purpose (see README "Configuration"). */
import { PARTITIONS } from '@tickwatch/contracts';
import { env, setting } from '@tickwatch/infra/config';
import {
  logLevelSetting,
  mongoUrlSetting,
  opsHostSetting,
  opsPortSetting,
  rabbitmqReconnectMaxSetting,
  rabbitmqUrlSetting,
} from '@tickwatch/infra/service-settings';
import { z } from 'zod';

/**
 * A batch fills only with a backlog (it is what arrived while the previous one ran), and its
 * write is one document per ticker it touched however many quotes each had: a large batch
 * folds a ticker's queued quotes into one write (3× the quotes/s of 100 in the benchmark).
 */
export const DEFAULT_BATCH_SIZE = 1000;

/** `all`, `none` (a standby only), or partition numbers and ranges: `0-3,8`. */
const partitionList = z.string().transform((raw, context) => {
  if (raw.trim() === 'all') return Array.from({ length: PARTITIONS }, (_, p) => p);
  if (raw.trim() === 'none') return [];
  const partitions = new Set<number>();
  for (const part of raw.split(',').map((s) => s.trim())) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    const first = Number(match?.[1]);
    const last = Number(match?.[2] ?? match?.[1]);
    if (!match || first > last || last >= PARTITIONS) {
      context.addIssue({
        code: 'custom',
        message: `"${part}" is not a partition or range of partitions 0-${PARTITIONS - 1} (e.g. 0-3,8, or all)`,
      });
      return z.NEVER;
    }
    for (let p = first; p <= last; p++) partitions.add(p);
  }
  return [...partitions].sort((a, b) => a - b);
});

export const settings = {
  LOG_LEVEL: logLevelSetting,
  OPS_HOST: opsHostSetting,
  ALERTER_OPS_PORT: opsPortSetting('alerter', 9102),
  RABBITMQ_URL: rabbitmqUrlSetting,
  RABBITMQ_RECONNECT_MAX: rabbitmqReconnectMaxSetting,
  MONGO_URL: mongoUrlSetting,
  ALERTER_PARTITIONS: setting(
    partitionList,
    `Partitions this replica consumes at once (0-${PARTITIONS - 1}, ranges like 0-3,8, all, none); it stands by for the others and takes them over after ALERTER_TAKEOVER_DELAY_MS`,
    { default: 'all' },
  ),
  ALERTER_TAKEOVER_DELAY_MS: setting(
    env.int(0, 3_600_000),
    'Delay before subscribing to the partitions outside ALERTER_PARTITIONS, as a standby for a replica that dies (ms)',
    { default: '10000' },
  ),
  ALERTER_BATCH_SIZE: setting(
    env.int(1, 1000),
    'Messages of a partition handled as one batch at most: one bulkWrite, one ack (1 = one at a time); twice as many are prefetched',
    { default: String(DEFAULT_BATCH_SIZE) },
  ),
};
