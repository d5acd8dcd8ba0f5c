/**
 * The listening socket: accepts connections up to `maxIncomingConnections` (beyond it a new
 * connection is closed at once with a log line, as mongod does), numbers them (the
 * `connectionId` in `hello`), and on close stops accepting and drops every open connection.
 */
import { createServer, type Server } from 'node:net';
import type { ServerState } from '../commands/context.ts';
import { Connection, type ConnectionLimits } from './connection.ts';
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
  limits: ConnectionLimits;
  maxIncomingConnections: number;
}): Promise<Listening> {
  const { host, port, state, durability, limits, maxIncomingConnections } = options;
  const open = new Set<Connection>();
  let nextId = 1;
  const server: Server = createServer((socket) => {
    const connection = new Connection(socket, nextId++, state, durability, limits);
    open.add(connection);
    socket.on('close', () => open.delete(connection));
  });
  server.maxConnections = maxIncomingConnections;
  server.on('drop', (dropped) => {
    state.logger.warn(
      { remote: `${dropped?.remoteAddress ?? '?'}:${String(dropped?.remotePort ?? '?')}` },
      `connection refused because there are too many open connections (maxIncomingConnections ${String(maxIncomingConnections)})`,
    );
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
