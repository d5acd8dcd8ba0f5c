/**
 * The gateway process: the GraphQL gateway: commands, queries and live subscriptions.
 * Wiring only: configuration → infrastructure → handlers. So far it runs the service lifecycle
 * (configuration check, /healthz, /readyz, graceful SIGTERM); the gateway's own components are
 * started here and registered with `context.add` by its issue.
 */
import { runMain } from '@tickwatch/infra/service';
import { settings } from './config.ts';

await runMain('gateway', settings, 'GATEWAY_OPS_PORT', () => Promise.resolve());
