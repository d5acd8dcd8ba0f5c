/**
 * The gateway process: GraphQL gateway: commands, queries and live subscriptions.
 * Wiring only: configuration → infrastructure → handlers. This entry point runs the service
 * lifecycle (configuration check, /healthz, /readyz, graceful SIGTERM); the gateway's own work is
 * added by its issue and registered with `context.add`.
 */
import { createLogger } from '@tickwatch/infra/log';
import { runMain, startService } from '@tickwatch/infra/service';
import { settings } from './config.ts';

await runMain('gateway', settings, (config) =>
  startService({
    name: 'gateway',
    port: config.GATEWAY_OPS_PORT,
    host: config.OPS_HOST,
    logger: createLogger({ name: 'gateway', level: config.LOG_LEVEL }),
    start: () => Promise.resolve(),
  }),
);
