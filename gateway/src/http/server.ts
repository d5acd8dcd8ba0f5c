/**
 * The HTTP server of the GraphQL API as a service component: one node:http server that the
 * express app answers on, and that the graphql-ws server (live/ws-server.ts) shares (same port,
 * same path). Stopping closes the listener, drains Apollo, then ends idle keep-alive sockets.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApolloServer } from '@apollo/server';
import type { Express } from 'express';
import type { Component } from '@tickwatch/infra/service';
import type { GatewayContext } from '../graphql/context.ts';

export interface HttpServer extends Component {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
}

/** Longest a request in progress may hold up shutdown, ms. */
const DRAIN_MS = 5_000;

export async function listenHttp(options: {
  readonly app: Express;
  readonly apollo: ApolloServer<GatewayContext>;
  readonly host: string;
  readonly port: number;
}): Promise<HttpServer> {
  const server = createServer(options.app);
  // A slow client may not hold a socket forever before sending its headers (slowloris).
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    name: 'graphql-http',
    server,
    port,
    url: `http://${host}:${port}`,
    async stop() {
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      server.closeIdleConnections();
      const forced = setTimeout(() => {
        server.closeAllConnections();
      }, DRAIN_MS);
      await options.apollo.stop();
      await closed;
      clearTimeout(forced);
    },
  };
}
