/**
 * The notifier process: delivers triggered alerts by email and webhook.
 * Wiring only: configuration → infrastructure → handlers. This entry point runs the service
 * lifecycle (configuration check, /healthz, /readyz, graceful SIGTERM); the notifier's own work is
 * added by its issue and registered with `context.add`.
 */
import { createLogger } from '@tickwatch/infra/log';
import { runMain, startService } from '@tickwatch/infra/service';
import { settings } from './config.ts';

await runMain('notifier', settings, (config) =>
  startService({
    name: 'notifier',
    port: config.NOTIFIER_OPS_PORT,
    host: config.OPS_HOST,
    logger: createLogger({ name: 'notifier', level: config.LOG_LEVEL }),
    start: () => Promise.resolve(),
  }),
);
