/**
 * The broker for `npm start`: the one at RABBITMQ_URL when it answers; when nothing listens
 * there, the URL points at this machine and `rabbitmq-server` is installed, a project-local node
 * on that port (rabbitmq-node.ts); otherwise a StartError that says how to get a broker.
 */
import path from 'node:path';
import amqplib from 'amqplib';
import type { Logger } from 'pino';
import { loggableUrl } from '../../infra/src/config.ts';
import { StartError } from './start-error.ts';
import { findRabbitmqServer, startLocalRabbitmqNode } from './rabbitmq-node.ts';
import { isLoopbackHost } from './network.ts';

export interface Broker {
  readonly url: string;
  /** One line for the banner: which broker this is. */
  readonly description: string;
  stop(): Promise<void>;
}

export interface BrokerOptions {
  readonly url: string;
  /** Where a local node keeps its data (./var/rabbitmq). */
  readonly dir: string;
  readonly logger: Logger;
  readonly onNodeLine: (line: string, stream: 'stdout' | 'stderr') => void;
  /** The start script of a local node; undefined when rabbitmq-server is not installed. */
  readonly rabbitmqServer?: string | undefined;
}

/** `refused`: nothing listens; `unreachable`: no TCP connection; `rejected`: a broker said no. */
export interface Probe {
  readonly outcome: 'ok' | 'refused' | 'unreachable' | 'rejected';
  /** Why it failed: an errno code or the broker's words. */
  readonly reason?: string;
}

/** An AMQP handshake with `url`: a port that accepts TCP but refuses our account is no broker for us. */
export async function probeBroker(url: string, timeoutMs = 3_000): Promise<Probe> {
  try {
    const connection = await amqplib.connect(url, { timeout: timeoutMs });
    await connection.close();
    return { outcome: 'ok' };
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'ECONNREFUSED') return { outcome: 'refused', reason: code };
    return { outcome: code ? 'unreachable' : 'rejected', reason: code ?? message };
  }
}

export async function ensureBroker(options: BrokerOptions): Promise<Broker> {
  return (await brokerStarter(options))();
}

/**
 * Decides where the broker comes from, at once (a quick probe): the broker at RABBITMQ_URL, a
 * local node to start (which takes seconds: the returned function starts it), or a StartError
 * before anything else was started.
 */
export async function brokerStarter(options: BrokerOptions): Promise<() => Promise<Broker>> {
  const { url, logger } = options;
  const shown = loggableUrl(url);
  const probe = await probeBroker(url);
  if (probe.outcome === 'ok') {
    logger.info({ url: shown }, `RabbitMQ answers at ${shown}`);
    return () =>
      Promise.resolve({ url, description: `RabbitMQ at ${shown}`, stop: () => Promise.resolve() });
  }
  const target = new URL(url);
  const script = 'rabbitmqServer' in options ? options.rabbitmqServer : findRabbitmqServer();
  const local = isLoopbackHost(target.hostname) && target.protocol === 'amqp:';
  if (probe.outcome !== 'refused' || !local || !script) {
    throw new StartError(noBrokerMessage(shown, probe, local));
  }
  return () => startLocalBroker(options, target, script);
}

async function startLocalBroker(
  options: BrokerOptions,
  target: URL,
  script: string,
): Promise<Broker> {
  const { url, logger } = options;
  const shown = loggableUrl(url);
  const port = Number(target.port || 5672);
  const dir = path.resolve(options.dir);
  logger.info(
    { url: shown, dir },
    `nothing answers at ${shown}: starting a local RabbitMQ node (data and logs in ${dir})`,
  );
  const node = await startLocalRabbitmqNode({
    script,
    dir,
    port,
    user: decodeURIComponent(target.username || 'guest'),
    password: decodeURIComponent(target.password || 'guest'),
    vhost: decodeURIComponent(target.pathname.slice(1)) || '/',
    logger,
    onLine: options.onNodeLine,
  }).catch((error: unknown) => {
    throw new StartError(
      `the local RabbitMQ node did not start: ${(error as Error).message}\n` +
        `Its logs are in ${path.join(dir, 'log')}.`,
    );
  });
  const after = await probeBroker(url);
  if (after.outcome !== 'ok') {
    await node.stop();
    throw new StartError(
      `the local RabbitMQ node ${node.nodeName} runs but refuses ${shown}: ${String(after.reason)}\n` +
        `It was created with another account or vhost: remove ${dir} to start afresh.`,
    );
  }
  logger.info({ node: node.nodeName }, `local RabbitMQ node ${node.nodeName} is up`);
  return {
    url,
    description: `local RabbitMQ node ${node.nodeName} at ${shown} (stopped with npm start)`,
    stop: () => node.stop(),
  };
}

function noBrokerMessage(url: string, probe: Probe, local: boolean): string {
  const reason = probe.reason ?? probe.outcome;
  if (probe.outcome === 'rejected') {
    return `RabbitMQ at ${url} did not accept tickwatch: ${reason}\nCheck the user, password and vhost in RABBITMQ_URL.`;
  }
  return [
    probe.outcome === 'refused' && local
      ? `nothing answers at ${url} and rabbitmq-server is not installed, so no local node can be started.`
      : `no RabbitMQ answers at ${url} (${reason}).`,
    'Get a broker, then run npm start again:',
    '  sudo apt-get install rabbitmq-server   npm start then runs a project-local node by itself',
    '  docker compose up -d rabbitmq          the broker of compose.yaml, on 127.0.0.1:5672',
    'or set RABBITMQ_URL to a broker you can reach.',
  ].join('\n');
}
