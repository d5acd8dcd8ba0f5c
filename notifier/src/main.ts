/**
 * The notifier process: delivers triggered alerts by email and webhook.
 * Wiring only: configuration → infrastructure → handlers. So far it runs the service lifecycle
 * (configuration check, /healthz, /readyz, graceful SIGTERM); the notifier's own components are
 * started here and registered with `context.add` by its issue.
 */
import { runMain } from '@tickwatch/infra/service';
import { settings } from './config.ts';

await runMain('notifier', settings, 'NOTIFIER_OPS_PORT', () => Promise.resolve());
