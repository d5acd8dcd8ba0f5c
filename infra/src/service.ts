/**
 * Service lifecycle shared by every tickwatch process: validated configuration, an operations
 * HTTP server (/healthz, /readyz, /metrics, and routes added by components), components
 * started in order and stopped in reverse on SIGTERM/SIGINT, then queued spans flushed, all
 * within a deadline.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConfigError,
  loadConfig,
  type ConfigOf,
  type Setting,
  type SettingsSpec,
} from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { metricsHandler } from './telemetry/metrics-endpoint.ts';
import { processMetrics, type MetricsRegistry } from './telemetry/metrics.ts';
import { shutdownTelemetry } from './telemetry/sdk-handle.ts';

/** Something the service started and must stop: a connection, a consumer, a server. */
export interface Component {
  readonly name: string;
  /** False while the component cannot do its job (e.g. broker disconnected): /readyz says 503. */
  ready?(): boolean;
  /**
   * Why the component works only in part now (e.g. the broker blocks publishing), or undefined.
   * /readyz stays 200 (taking it out of rotation would not help: the cause is elsewhere) and
   * says `degraded` with the reasons.
   */
  degraded?(): string | undefined;
  stop(): Promise<void>;
}

export type RouteHandler = (
  request: IncomingMessage,
  response: ServerResponse,
) => void | Promise<void>;

export interface ServiceContext {
  readonly logger: Logger;
  /** Registers a started component; it is stopped in reverse order of registration. */
  add<C extends Component>(component: C): C;
  /** Serves an extra GET path on the operations server. */
  route(path: string, handler: RouteHandler): void;
}

export type ServicePhase = 'starting' | 'started' | 'stopping' | 'stopped';

export interface RunningService {
  readonly port: number;
  phase(): ServicePhase;
  ready(): boolean;
  stop(reason: string): Promise<void>;
}

export interface ServiceOptions {
  readonly name: string;
  /** Operations HTTP port; 0 picks a free one. */
  readonly port: number;
  /** Operations server address; loopback unless the deployment asks for more. */
  readonly host?: string;
  readonly logger?: Logger;
  /** Served on /metrics; defaults to the process registry (telemetry/metrics.ts). */
  readonly metrics?: MetricsRegistry;
  start(context: ServiceContext): Promise<void>;
}

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { name, port, host = '127.0.0.1' } = options;
  const logger = options.logger ?? createLogger({ name });
  const components: Component[] = [];
  const routes = new Map<string, RouteHandler>([
    ['/metrics', metricsHandler(options.metrics ?? processMetrics)],
  ]);
  let phase: ServicePhase = 'starting';
  let stopping: Promise<void> | undefined;

  const notReady = () =>
    phase !== 'started'
      ? [phase]
      : components.filter((c) => c.ready && !c.ready()).map((c) => c.name);

  const degraded = (): Record<string, string> => {
    const reasons: Record<string, string> = {};
    for (const component of components) {
      const reason = component.degraded?.();
      if (reason !== undefined) reasons[component.name] = reason;
    }
    return reasons;
  };

  const server = createServer((request, response) => {
    const health = { notReady, degraded };
    void handleOperationsRequest(request, response, routes, health).catch((error: unknown) => {
      logger.error({ err: error, path: request.url }, 'operations request failed');
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  await listen(server, port, host);
  const actualPort = (server.address() as AddressInfo).port;

  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      phase = 'stopping';
      logger.info({ reason }, 'stopping');
      for (const component of [...components].reverse()) {
        try {
          await component.stop();
        } catch (error) {
          logger.error({ err: error, component: component.name }, 'component failed to stop');
        }
      }
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      phase = 'stopped';
      logger.info('stopped');
    })();
    return stopping;
  };

  const context: ServiceContext = {
    logger,
    add: (component) => {
      components.push(component);
      return component;
    },
    route: (path, handler) => routes.set(path, handler),
  };
  try {
    await options.start(context);
  } catch (error) {
    await stop('start-up failed');
    throw error;
  }
  phase = 'started';
  logger.info({ port: actualPort }, 'started');

  return {
    port: actualPort,
    phase: () => phase,
    ready: () => notReady().length === 0,
    stop,
  };
}

async function handleOperationsRequest(
  request: IncomingMessage,
  response: ServerResponse,
  routes: ReadonlyMap<string, RouteHandler>,
  health: { notReady: () => string[]; degraded: () => Record<string, string> },
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const handler = routes.get(path);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
  } else if (path === '/healthz') {
    json(response, 200, { status: 'ok' });
  } else if (path === '/readyz') {
    const waiting = health.notReady();
    const degraded = health.degraded();
    const isDegraded = Object.keys(degraded).length > 0;
    json(response, waiting.length === 0 ? 200 : 503, {
      status: waiting.length > 0 ? 'not ready' : isDegraded ? 'degraded' : 'ready',
      ...(waiting.length > 0 ? { waiting } : {}),
      ...(isDegraded ? { degraded } : {}),
    });
  } else if (handler) {
    await handler(request, response);
  } else {
    json(response, 404, { error: `no route ${path}` });
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Exit status for a configuration error (sysexits.h EX_CONFIG). */
export const EXIT_CONFIG = 78;

/** Longest a graceful shutdown may take before the process gives up. */
const SHUTDOWN_TIMEOUT_MS = 15_000;

/** Left for the last span flush when start-up fails (the process exits right after). */
const FAILED_START_FLUSH_MS = 2_000;

/** Settings every service's spec has (see service-settings.ts). */
type ServiceSettingsSpec = SettingsSpec & {
  readonly LOG_LEVEL: Setting<string>;
  readonly OPS_HOST: Setting<string>;
};

/** The names of a spec's numeric settings (the operations port must be one). */
type NumericSetting<S extends SettingsSpec> = {
  [K in keyof S]: S[K] extends Setting<number> ? K : never;
}[keyof S];

/**
 * Entry point of a service process, the one owner of process concerns: loads the configuration
 * (printing every bad variable and exiting with EX_CONFIG when it is invalid), starts the service
 * with its operations server on the port named by `opsPortSetting` (any start-up failure exits
 * 1), and on SIGTERM/SIGINT stops it gracefully within a deadline.
 */
export async function runMain<S extends ServiceSettingsSpec>(
  name: string,
  spec: S,
  opsPortSetting: NumericSetting<S>,
  start: (context: ServiceContext, config: ConfigOf<S>) => Promise<void>,
): Promise<void> {
  // The spec's type guarantees these two; TypeScript cannot see through ConfigOf's conditional.
  let config: ConfigOf<S> & { readonly LOG_LEVEL: string; readonly OPS_HOST: string };
  try {
    config = loadConfig(spec) as typeof config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${name}: refusing to start, ${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  const logger = createLogger({ name, level: config.LOG_LEVEL });
  let service: RunningService;
  try {
    service = await startService({
      name,
      port: config[opsPortSetting] as number,
      host: config.OPS_HOST,
      logger,
      start: (context) => start(context, config),
    });
  } catch (error) {
    logger.fatal({ err: error }, 'start-up failed');
    await shutdownTelemetry(FAILED_START_FLUSH_MS);
    process.exit(1);
  }
  const onSignal = (signal: NodeJS.Signals) => {
    const deadline = performance.now() + SHUTDOWN_TIMEOUT_MS;
    setTimeout(() => {
      logger.error({ signal }, `graceful shutdown took over ${SHUTDOWN_TIMEOUT_MS} ms, exiting`);
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    void service
      .stop(signal)
      // The spans of the shutdown itself included; whatever time is left, less a margin to exit.
      .then(() => shutdownTelemetry(Math.max(0, deadline - performance.now() - 250)))
      .then(() => process.exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
