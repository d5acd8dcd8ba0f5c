/**
 * A project-local RabbitMQ node, for a machine that has the `rabbitmq-server` package but no
 * broker running. It is a node of its own, sharing nothing with a system broker: its own node
 * name, AMQP and distribution ports (bound to 127.0.0.1), configuration, Erlang cookie, data
 * and logs, all under one directory (./var/rabbitmq by default), no plugins (start-up in a few
 * seconds). It runs in the foreground under the supervisor and stops with it.
 *
 * It runs the upstream start script directly: Debian's /usr/sbin/rabbitmq-server wrapper would
 * switch to the `rabbitmq` user (who cannot write ./var) or refuse to run for anyone else.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { pollUntil } from '../../infra/src/testing/poll-until.ts';
import { answers, freePort } from './network.ts';
import { supervise, type Supervised } from './supervised.ts';

/** Where Debian and RPM packages keep the upstream script, then whatever PATH offers. */
const UPSTREAM_SCRIPT = '/usr/lib/rabbitmq/bin/rabbitmq-server';

export function findRabbitmqServer(searchPath = process.env.PATH ?? ''): string | undefined {
  const candidates = [
    UPSTREAM_SCRIPT,
    ...searchPath
      .split(path.delimiter)
      .filter(Boolean)
      .map((dir) => path.join(dir, 'rabbitmq-server')),
  ];
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface LocalNodeOptions {
  /** The start script (findRabbitmqServer()). */
  readonly script: string;
  /** Directory holding everything of the node; created when missing. */
  readonly dir: string;
  /** AMQP port on 127.0.0.1. */
  readonly port: number;
  /** The account and vhost a fresh node creates on its first boot (those of RABBITMQ_URL). */
  readonly user: string;
  readonly password: string;
  readonly vhost: string;
  readonly logger: Logger;
  /** The node's own output lines (its boot banner, boot errors). */
  readonly onLine: (line: string, stream: 'stdout' | 'stderr') => void;
  /** How long the first boot may take, ms. */
  readonly startTimeoutMs?: number;
}

export interface LocalNode {
  readonly nodeName: string;
  readonly dir: string;
  stop(): Promise<void>;
}

export const localNodeName = (port: number): string => `tickwatch-${port}@localhost`;

export async function startLocalRabbitmqNode(options: LocalNodeOptions): Promise<LocalNode> {
  const { dir, port, logger, startTimeoutMs = 90_000 } = options;
  const nodeName = localNodeName(port);
  mkdirSync(path.join(dir, 'log'), { recursive: true });
  writeFileSync(path.join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(path.join(dir, 'rabbitmq.conf'), nodeConfiguration(options));
  const epmdWasRunning = await answers('127.0.0.1', EPMD_PORT);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: process.env.LANG ?? 'C.UTF-8',
    // The Erlang cookie (.erlang.cookie) is created here, so the node is this directory's alone.
    HOME: dir,
    // Nothing from /etc/rabbitmq: that configuration belongs to the system broker.
    RABBITMQ_CONF_ENV_FILE: '/dev/null',
    RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq'),
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    // By default AMQP port + 20000: a fixed offset that may clash, so a free port instead.
    RABBITMQ_DIST_PORT: String(await freePort()),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_PID_FILE: path.join(dir, 'node.pid'),
  };
  const node: Supervised = await supervise(
    {
      name: 'rabbitmq',
      command: options.script,
      args: [],
      cwd: dir,
      env,
      onLine: options.onLine,
    },
    { logger, stopGraceMs: 30_000 },
  );
  const stop = async () => {
    await node.stop();
    if (!epmdWasRunning) await stopIdleEpmd(logger);
  };
  try {
    await pollUntil(
      `the local RabbitMQ node ${nodeName} on 127.0.0.1:${port}`,
      async () => {
        if (node.crashes() > 0) throw new Error(`${nodeName} exited during boot (see its output)`);
        return answers('127.0.0.1', port);
      },
      { timeoutMs: startTimeoutMs, intervalMs: 200 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodeName, dir, stop };
}

function nodeConfiguration({ user, password, vhost }: LocalNodeOptions): string {
  return [
    '# Written by npm start (scripts/start/rabbitmq-node.ts) at every start: edits are lost.',
    '# Applied on the first boot only: the account and vhost of RABBITMQ_URL.',
    `default_user = ${user}`,
    `default_pass = ${password}`,
    `default_vhost = ${vhost}`,
    'default_permissions.configure = .*',
    'default_permissions.read = .*',
    'default_permissions.write = .*',
    // The logs stay in the log directory; the terminal gets the services' logs.
    'log.console = false',
    'log.file.level = info',
    '',
  ].join('\n');
}

const EPMD_PORT = 4369;
const run = promisify(execFile);

/**
 * epmd, the Erlang port mapper, is started by the first Erlang node of a machine and outlives
 * it. When our node started it, stop it again, unless another node has registered since.
 */
async function stopIdleEpmd(logger: Logger): Promise<void> {
  try {
    const { stdout } = await run('epmd', ['-names'], { timeout: 5_000 });
    if (/^name /m.test(stdout)) return;
    await run('epmd', ['-kill'], { timeout: 5_000 });
    logger.info('stopped epmd (started with the local RabbitMQ node)');
  } catch {
    // No epmd binary on PATH or none running: nothing was left behind.
  }
}
