/**
 * MongoDB for `npm start`: the server at MONGO_URL when it is set, otherwise the embedded
 * server (DESIGN.md §6) as a process of its own, `npm run mongo:embedded`'s script, keeping its
 * data in ./var/mongo across restarts.
 */
import path from 'node:path';
import { ConnectionString } from 'mongodb-connection-string-url';
import type { Logger } from 'pino';
import { loggableUrl } from '../../infra/src/config.ts';
import { pollUntil } from '../../infra/src/testing/poll-until.ts';
import { answers } from './network.ts';
import { supervise } from './supervised.ts';
import { StartError } from './start-error.ts';

export interface Mongo {
  readonly url: string;
  readonly description: string;
  stop(): Promise<void>;
}

export interface EmbeddedMongoProcess {
  /** The node arguments running `scripts/mongo-embedded.ts` (with the telemetry bootstrap). */
  readonly nodeArgs: readonly string[];
  readonly cwd: URL;
  readonly env: NodeJS.ProcessEnv;
  readonly port: number;
  readonly dir: string;
  readonly logger: Logger;
  readonly onLine: (line: string, stream: 'stdout' | 'stderr') => void;
  readonly startTimeoutMs?: number;
}

/** The server at MONGO_URL, once its first host answers (SRV names are left to the driver). */
export async function useExternalMongo(url: string): Promise<Mongo> {
  const shown = loggableUrl(url);
  const [first = ''] = new ConnectionString(url).hosts;
  const { hostname, port } = new URL(`mongodb://${first}`);
  if (!url.startsWith('mongodb+srv:') && !(await answers(hostname, Number(port || 27017)))) {
    throw new StartError(
      `nothing answers at MONGO_URL=${shown}.\nUnset MONGO_URL to run the embedded MongoDB server.`,
    );
  }
  return { url, description: `MongoDB at ${shown}`, stop: () => Promise.resolve() };
}

export async function startEmbeddedMongoProcess(options: EmbeddedMongoProcess): Promise<Mongo> {
  const { port, logger, startTimeoutMs = 60_000 } = options;
  const dir = path.resolve(options.dir);
  const server = await supervise(
    {
      name: 'mongo',
      command: process.execPath,
      args: [...options.nodeArgs, '--port', String(port), '--data', dir],
      cwd: options.cwd,
      env: options.env,
      onLine: options.onLine,
    },
    { logger },
  );
  try {
    // It listens once its journal is replayed, so a connection means it is ready.
    await pollUntil(
      `the embedded MongoDB server on 127.0.0.1:${port}`,
      async () => {
        if (server.crashes() > 0) throw new Error('it exited during start-up (see its log)');
        return answers('127.0.0.1', port);
      },
      { timeoutMs: startTimeoutMs, intervalMs: 100 },
    );
  } catch (error) {
    await server.stop();
    throw new StartError(`the embedded MongoDB server did not start: ${(error as Error).message}`);
  }
  return {
    url: `mongodb://127.0.0.1:${port}`,
    description: `embedded MongoDB server, data in ${dir}`,
    stop: () => server.stop(),
  };
}
