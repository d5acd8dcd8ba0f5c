/**
 * What `npm start` itself reads (the services read their own settings, passed through), and
 * the plan it derives: where its data lives, which ports, and each service's environment,
 * validated for all four services before anything is started.
 */
import path from 'node:path';
import { ConfigError, env, loadConfig, setting, type ConfigOf } from '../../infra/src/config.ts';
import {
  logLevelSetting,
  mongoUrlSetting,
  rabbitmqUrlSetting,
} from '../../infra/src/service-settings.ts';
import { SERVICE_PROCESSES, type ServiceProcess } from '../services.ts';
import { LOG_FORMATS } from './log-output.ts';
import { freePort } from './network.ts';
import { StartError } from './start-error.ts';

export const startSettings = {
  TICKWATCH_DATA_DIR: setting(
    env.string(),
    'Directory npm start keeps its data in: mongo/ (embedded MongoDB), rabbitmq/ (local broker node)',
    { default: 'var' },
  ),
  EMBEDDED_MONGO_PORT: setting(
    env.port(),
    'Port of the embedded MongoDB server npm start runs when MONGO_URL is unset (0 = any free port)',
    { default: '27017' },
  ),
  START_LOG_FORMAT: setting(
    env.oneOf(LOG_FORMATS),
    'npm start output: pretty in a terminal and JSON lines otherwise (auto), or always pretty or json',
    { default: 'auto' },
  ),
  RABBITMQ_URL: rabbitmqUrlSetting,
  LOG_LEVEL: logLevelSetting,
};

export type StartConfig = ConfigOf<typeof startSettings>;

export interface ServicePlan {
  readonly service: ServiceProcess;
  readonly opsPort: number;
  /** Where the supervisor asks for /readyz. */
  readonly opsHost: string;
}

export interface StartPlan {
  readonly config: StartConfig;
  readonly dataDir: string;
  /** MONGO_URL when the user set one; otherwise the embedded server runs on `mongoPort`. */
  readonly externalMongoUrl: string | undefined;
  readonly mongoPort: number;
  readonly services: readonly ServicePlan[];
}

/** npm start's own settings; a bad one is a StartError naming every bad variable. */
export const loadStartConfig = (source: NodeJS.ProcessEnv): StartConfig =>
  loadOrRefuse(() => loadConfig(startSettings, source));

/** Resolves every port left at 0 to a free one, chosen once so a restarted service keeps it. */
export async function planStart(
  config: StartConfig,
  source: NodeJS.ProcessEnv,
): Promise<StartPlan> {
  const externalMongoUrl = source.MONGO_URL || undefined;
  if (externalMongoUrl) loadOrRefuse(() => loadConfig({ MONGO_URL: mongoUrlSetting }, source));
  const services: ServicePlan[] = [];
  for (const service of SERVICE_PROCESSES) {
    const portSetting = service.settings[service.opsPortVariable];
    if (!portSetting) throw new Error(`${service.name} has no ${service.opsPortVariable} setting`);
    const spec = { [service.opsPortVariable]: portSetting };
    const { [service.opsPortVariable]: port } = loadOrRefuse(() => loadConfig(spec, source));
    const host = source.OPS_HOST || '127.0.0.1';
    services.push({
      service,
      opsPort: (port as number) || (await freePort()),
      opsHost: host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host,
    });
  }
  return {
    config,
    dataDir: path.resolve(config.TICKWATCH_DATA_DIR),
    externalMongoUrl,
    mongoPort: config.EMBEDDED_MONGO_PORT || (await freePort()),
    services,
  };
}

/**
 * Each service's environment: the user's, then what npm start decides (broker, database, the
 * resolved ports). Every service's configuration is checked here, so a bad variable is reported
 * once for all four before anything starts.
 */
export function serviceEnvironments(
  plan: StartPlan,
  source: NodeJS.ProcessEnv,
  decided: Readonly<Record<string, string>>,
): Map<string, NodeJS.ProcessEnv> {
  const problems: string[] = [];
  const environments = new Map<string, NodeJS.ProcessEnv>();
  for (const { service, opsPort } of plan.services) {
    const environment = { ...source, ...decided, [service.opsPortVariable]: String(opsPort) };
    try {
      loadConfig(service.settings, environment);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems.map((problem) => `${service.name}: ${problem}`));
    }
    environments.set(service.name, environment);
  }
  if (problems.length > 0) {
    throw new StartError(`invalid configuration:\n  ${problems.join('\n  ')}`, 78);
  }
  return environments;
}

function loadOrRefuse<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) throw new StartError(error.message, 78);
    throw error;
  }
}
