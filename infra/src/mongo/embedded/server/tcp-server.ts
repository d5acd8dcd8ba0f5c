/**
 * The listening socket: accepts connections, numbers them (the `connectionId` in `hello`),
 * and on close stops accepting and drops every open connection.
 */
import { createServer, type Server } from 'node:net';
import type { ServerState } from '../commands/context.ts';
import { Connection } from './connection.ts';
import type { Durability } from './durability.ts';

export interface Listening {
  readonly host: string;
  readonly port: number;
  readonly connections: () => number;
  close(): Promise<void>;
}

export async function listen(options: {
  host: string;
  port: number;
  state: ServerState;
  durability: Durability;
}): Promise<Listening> {
  const { host, port, state, durability } = options;
  const open = new Set<Connection>();
  let nextId = 1;
  const server: Server = createServer((socket) => {
    const connection = new Connection(socket, nextId++, state, durability);
    open.add(connection);
    socket.on('close', () => open.delete(connection));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => {
    state.logger.error({ err: error }, 'listening socket error');
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return {
    host,
    port: boundPort,
    connections: () => open.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        for (const connection of open) connection.close();
        open.clear();
      }),
  };
}
