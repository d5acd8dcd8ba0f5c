/**
 * The alerter process: evaluates every price against the users' rules.
 * Wiring only: configuration → infrastructure → handlers. This entry point runs the service
 * lifecycle (configuration check, /healthz, /readyz, graceful SIGTERM); the alerter's own work is
 * added by its issue and registered with `context.add`.
 */
import { createLogger } from '@tickwatch/infra/log';
import { runMain, startService } from '@tickwatch/infra/service';
import { settings } from './config.ts';

await runMain('alerter', settings, (config) =>
  startService({
    name: 'alerter',
    port: config.ALERTER_OPS_PORT,
    host: config.OPS_HOST,
    logger: createLogger({ name: 'alerter', level: config.LOG_LEVEL }),
    start: () => Promise.resolve(),
  }),
);
