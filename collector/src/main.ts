/**
 * The collector process: polls quotes and publishes price.updated.
 * Wiring only: configuration → infrastructure → handlers. So far it runs the service lifecycle
 * (configuration check, /healthz, /readyz, graceful SIGTERM); the collector's own components are
 * started here and registered with `context.add` by its issue.
 */
import { runMain } from '@tickwatch/infra/service';
import { settings } from './config.ts';

await runMain('collector', settings, 'COLLECTOR_OPS_PORT', () => Promise.resolve());
