/**
 * The four service processes, described once: the entry point the containers, Kubernetes and
 * `npm start` all run, the settings it reads, and the variable naming its operations port.
 * The docs generator, the supervisor and the deployment tests read this list.
 */
import type { SettingsSpec } from '@tickwatch/infra/config';
import { settings as alerter } from '../alerter/src/config.ts';
import { settings as collector } from '../collector/src/config.ts';
import { settings as gateway } from '../gateway/src/config.ts';
import { settings as notifier } from '../notifier/src/config.ts';

export interface ServiceProcess {
  readonly name: string;
  /** Entry point, relative to the repository root (and to /app in the image). */
  readonly entry: string;
  readonly settings: SettingsSpec;
  /** The setting holding the port of its /healthz, /readyz, /metrics server. */
  readonly opsPortVariable: string;
  /** Settings holding the ports of what it serves to users (the gateway's GraphQL server). */
  readonly publicPortVariables: readonly string[];
}

const service = (
  name: string,
  settings: SettingsSpec,
  publicPortVariables: readonly string[] = [],
): ServiceProcess => ({
  name,
  entry: `${name}/src/main.ts`,
  settings,
  opsPortVariable: `${name.toUpperCase()}_OPS_PORT`,
  publicPortVariables,
});

export const SERVICE_PROCESSES: readonly ServiceProcess[] = [
  service('gateway', gateway, ['GATEWAY_PORT']),
  service('collector', collector),
  service('alerter', alerter),
  service('notifier', notifier),
];

/** The root of the repository (the image's working directory). */
export const REPOSITORY_ROOT = new URL('../', import.meta.url);
