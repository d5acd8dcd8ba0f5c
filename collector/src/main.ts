/**
 * The collector process: polls quotes and publishes price.updated.
 * Wiring only: configuration → infrastructure → handlers. This entry point runs the service
 * lifecycle (configuration check, /healthz, /readyz, graceful SIGTERM); the collector's own work is
 * added by its issue and registered with `context.add`.
 */
import { createLogger } from '@tickwatch/infra/log';
import { runMain, startService } from '@tickwatch/infra/service';
import { settings } from './config.ts';

await runMain('collector', settings, (config) =>
  startService({
    name: 'collector',
    port: config.COLLECTOR_OPS_PORT,
    host: config.OPS_HOST,
    logger: createLogger({ name: 'collector', level: config.LOG_LEVEL }),
    start: () => Promise.resolve(),
  }),
);
