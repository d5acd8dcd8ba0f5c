/**
 * The alerter process: evaluates every price against the users' rules.
 * Wiring only: configuration → infrastructure → handlers. So far it runs the service lifecycle
 * (configuration check, /healthz, /readyz, graceful SIGTERM); the alerter's own components are
 * started here and registered with `context.add` by its issue.
 */
import { runMain } from '@tickwatch/infra/service';
import { settings } from './config.ts';

await runMain('alerter', settings, 'ALERTER_OPS_PORT', () => Promise.resolve());
