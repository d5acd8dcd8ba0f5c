/**
 * `npm run rebuild -- gateway`: rebuilds a service's read models from the event log
 * (tickwatch.log). Only the gateway has read models; it reads the gateway's MONGO_URL,
 * RABBITMQ_URL and PRICE_HISTORY_RETENTION_DAYS (gateway/src/read/rebuild.ts says what a
 * rebuild can and cannot restore).
 */
import { ConfigError, loadConfig } from '@tickwatch/infra/config';
import { createLogger } from '@tickwatch/infra/log';
import { settings } from '../gateway/src/config.ts';
import { rebuildReadModels } from '../gateway/src/read/rebuild.ts';

const [service] = process.argv.slice(2);
if (service !== 'gateway') {
  console.error(
    'usage: npm run rebuild -- gateway   (the gateway is the only service with read models)',
  );
  process.exit(2);
}
let config;
try {
  config = loadConfig(settings);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`rebuild: ${error.message}`);
  process.exit(78);
}
const logger = createLogger({ name: 'rebuild', level: config.LOG_LEVEL });
const started = performance.now();
const summary = await rebuildReadModels({
  mongoUrl: config.MONGO_URL,
  rabbitmqUrl: config.RABBITMQ_URL,
  retentionDays: config.PRICE_HISTORY_RETENTION_DAYS,
  logger,
});
console.log(
  `rebuilt the gateway read models from tickwatch.log in ${Math.round(performance.now() - started)} ms: ` +
    `${summary.read} events read, ${summary.projected} projected, ${summary.duplicates} duplicates skipped, ${summary.invalid} invalid`,
);
