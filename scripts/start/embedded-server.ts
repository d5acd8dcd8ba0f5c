/**
 * A server of the embedded default run as a process of its own (the embedded MongoDB server,
 * the SMTP sink): one of the repository's scripts, supervised like the services, ready once its
 * port accepts connections.
 */
import type { Logger } from 'pino';
import { nodeArguments } from '@tickwatch/infra/telemetry';
import { pollUntil } from '../../infra/src/testing/poll-until.ts';
import { REPOSITORY_ROOT } from '../services.ts';
import { answers } from './network.ts';
import { StartError } from './start-error.ts';
import { supervise } from './supervised.ts';

export interface EmbeddedServerOptions {
  /** Its name in the logs. */
  readonly name: string;
  /** What it is, for messages: "the embedded MongoDB server". */
  readonly title: string;
  /** The script, relative to the repository root, and its arguments. */
  readonly script: string;
  readonly args: readonly string[];
  readonly port: number;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  readonly onLine: (line: string, stream: 'stdout' | 'stderr') => void;
  readonly startTimeoutMs?: number;
}

export interface EmbeddedServer {
  stop(): Promise<void>;
}

export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const { name, title, port, logger, startTimeoutMs = 60_000 } = options;
  const server = await supervise(
    {
      name,
      command: process.execPath,
      args: nodeArguments(options.script, ...options.args),
      cwd: REPOSITORY_ROOT,
      env: options.env,
      onLine: options.onLine,
    },
    { logger },
  );
  try {
    await pollUntil(
      `${title} on 127.0.0.1:${port}`,
      async () => {
        if (server.crashes() > 0) throw new Error('it exited during start-up (see its log)');
        return answers('127.0.0.1', port);
      },
      { timeoutMs: startTimeoutMs, intervalMs: 100 },
    );
  } catch (error) {
    await server.stop();
    throw new StartError(`${title} did not start: ${(error as Error).message}`);
  }
  return server;
}
