/**
 * MongoDB for `npm start`: the server at MONGO_URL when it is set, otherwise the embedded
 * server (DESIGN.md §6) as a process of its own, `npm run mongo:embedded`'s script, keeping its
 * data in ./var/mongo across restarts.
 */
import path from 'node:path';
import { ConnectionString } from 'mongodb-connection-string-url';
import type { Logger } from 'pino';
import { loggableUrl } from '../../infra/src/config.ts';
import { startEmbeddedServer } from './embedded-server.ts';
import { answers } from './network.ts';
import { StartError } from './start-error.ts';

export interface Mongo {
  readonly url: string;
  readonly description: string;
  stop(): Promise<void>;
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

export async function startEmbeddedMongo(options: {
  readonly port: number;
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  readonly onLine: (line: string, stream: 'stdout' | 'stderr') => void;
}): Promise<Mongo> {
  const dir = path.resolve(options.dir);
  const server = await startEmbeddedServer({
    ...options,
    name: 'mongo',
    title: 'the embedded MongoDB server',
    script: 'scripts/mongo-embedded.ts',
    // It listens once its journal is replayed, so a connection means it is ready.
    args: ['--port', String(options.port), '--data', dir],
  });
  return {
    url: `mongodb://127.0.0.1:${options.port}`,
    description: `embedded MongoDB server, data in ${dir}`,
    stop: () => server.stop(),
  };
}
