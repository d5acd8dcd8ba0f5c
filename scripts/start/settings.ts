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
    'Directory npm start keeps its data in: mongo/ (embedded MongoDB), mail/ (every email, .eml), rabbitmq/ (local broker node)',
    { default: 'var' },
  ),
  EMBEDDED_MONGO_PORT: setting(
    env.port(),
    'Port of the embedded MongoDB server npm start runs when MONGO_URL is unset (0 = any free port)',
    { default: '27017' },
  ),
  EMBEDDED_SMTP_PORT: setting(
    env.port(),
    'Port of the SMTP sink npm start runs when SMTP_URL is unset (0 = any free port)',
    { default: '1025' },
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

/** Service settings npm start gives another default than the services' own. */
const EMBEDDED_DEFAULTS: Readonly<Record<string, string>> = {
  MARKET_SOURCE: 'simulated',
  SIMULATED_HOURS: 'always',
};

export interface ServicePlan {
  readonly service: ServiceProcess;
  /** Every port variable of the service (operations first) → the port it gets. */
  readonly ports: ReadonlyMap<string, number>;
  /** Its operations server, where the supervisor asks for /readyz. */
  readonly ops: string;
}

export interface StartPlan {
  readonly config: StartConfig;
  readonly dataDir: string;
  /** MONGO_URL when the user set one; otherwise the embedded server runs on `mongoPort`. */
  readonly externalMongoUrl: string | undefined;
  readonly mongoPort: number;
  /** SMTP_URL when the user set one; otherwise the SMTP sink runs on `smtpPort`. */
  readonly externalSmtpUrl: string | undefined;
  readonly smtpPort: number;
  readonly services: readonly ServicePlan[];
  /** The GraphQL endpoint users open (GraphiQL in a browser). */
  readonly graphqlUrl: string;
  /** What npm start sets for every service: the resolved ports, the public URL. */
  readonly decided: Readonly<Record<string, string>>;
}

/** npm start's own settings; a bad one is a StartError naming every bad variable. */
export const loadStartConfig = (source: NodeJS.ProcessEnv): StartConfig =>
  loadOrRefuse(() => loadConfig(startSettings, source));

/** A wildcard bind address is reached through loopback. */
const reachable = (host: string | undefined) =>
  !host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;

/** Resolves every port left at 0 to a free one, chosen once so a restarted service keeps it. */
export async function planStart(
  config: StartConfig,
  source: NodeJS.ProcessEnv,
): Promise<StartPlan> {
  const externalMongoUrl = source.MONGO_URL || undefined;
  if (externalMongoUrl) loadOrRefuse(() => loadConfig({ MONGO_URL: mongoUrlSetting }, source));
  const decided: Record<string, string> = {};
  const services: ServicePlan[] = [];
  for (const service of SERVICE_PROCESSES) {
    const ports = new Map<string, number>();
    for (const variable of [service.opsPortVariable, ...service.publicPortVariables]) {
      const portSetting = service.settings[variable];
      if (!portSetting) throw new Error(`${service.name} has no ${variable} setting`);
      const { [variable]: port } = loadOrRefuse(() =>
        loadConfig({ [variable]: portSetting }, source),
      );
      ports.set(variable, (port as number) || (await freePort()));
      decided[variable] = String(ports.get(variable));
    }
    const ops = `http://${reachable(source.OPS_HOST)}:${String(ports.get(service.opsPortVariable))}`;
    services.push({ service, ports, ops });
  }
  // The embedded default's market: simulated, trading around the clock (so a demo on a Sunday
  // still sees prices move). A variable the user set wins.
  for (const [name, value] of Object.entries(EMBEDDED_DEFAULTS))
    decided[name] = source[name] || value;
  const graphqlUrl = `http://${reachable(source.GATEWAY_HOST)}:${decided.GATEWAY_PORT ?? ''}/graphql`;
  // Links in emails must reach this gateway, on whatever port it got.
  decided.PUBLIC_BASE_URL = source.PUBLIC_BASE_URL || new URL(graphqlUrl).origin;
  return {
    config,
    dataDir: path.resolve(config.TICKWATCH_DATA_DIR),
    externalMongoUrl,
    mongoPort: config.EMBEDDED_MONGO_PORT || (await freePort()),
    externalSmtpUrl: source.SMTP_URL || undefined,
    smtpPort: config.EMBEDDED_SMTP_PORT || (await freePort()),
    services,
    graphqlUrl,
    decided,
  };
}

/**
 * Each service's environment: the user's, then what npm start decided (ports, public URL) and
 * the broker and database it found or started. Every service's configuration is checked here, so a bad variable is reported
 * once for all four before anything starts.
 */
export function serviceEnvironments(
  plan: StartPlan,
  source: NodeJS.ProcessEnv,
  dependencies: Readonly<Record<'RABBITMQ_URL' | 'MONGO_URL' | 'SMTP_URL', string>>,
): Map<string, NodeJS.ProcessEnv> {
  const problems: string[] = [];
  const environments = new Map<string, NodeJS.ProcessEnv>();
  for (const { service } of plan.services) {
    const environment = { ...source, ...plan.decided, ...dependencies };
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
