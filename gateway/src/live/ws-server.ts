/**
 * Live subscriptions over graphql-ws (protocol `graphql-transport-ws`) on the HTTP server's
 * port and path (`/graphql`), with the HTTP side's schema, token check and limits:
 * - `connection_init` carries `{ accessToken }`: none or unreadable → 4401, expired, forged or
 *   logged out → 4403; when the token expires the connection closes with 4403 and the client
 *   reconnects with a fresh one (graphql-ws refuses a second `connection_init`);
 * - operations are parsed and validated with the HTTP limits (limits.ts); only subscriptions
 *   run here (queries and mutations go over HTTP, where their rate limits live);
 * - limits per connection (subscriptions, message size), per user and per client address
 *   (connections, closed with 1008);
 * - a client that stays behind is closed with 4008 (connection-guard.ts), a silent one is
 *   reaped by keep-alive pings, and stopping closes every connection with 1012 (Service
 *   Restart) so clients reconnect to another replica.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Express } from 'express';
import {
  createSourceEventStream,
  GraphQLError,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import proxyaddr from 'proxy-addr';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '@tickwatch/infra/log';
import type { Component } from '@tickwatch/infra/service';
import { AccessTokenError, type AccessTokens, type Viewer } from '../auth/access-tokens.ts';
import type { GatewayContext, GatewayServices } from '../graphql/context.ts';
import { badInput } from '../graphql/errors.ts';
import { LIMITS } from '../graphql/limits.ts';
import { GRAPHQL_PATH } from '../http/app.ts';
import { metrics } from '../metrics.ts';
import type { LiveSubscriber } from './live-hub.ts';
import { guardConnections, type GuardLimits } from './connection-guard.ts';
import { createDocumentCache } from './document-cache.ts';
import { createOutbox } from './outbox.ts';
import { sharedExecution } from './shared-execution.ts';

/** Close codes of the gateway's own (graphql-ws defines 44xx; README "Live subscriptions"). */
export const LiveCloseCode = {
  /** Too many connections for this user or address (the client should not retry at once). */
  policyViolation: 1008,
  /** The gateway is stopping: reconnect (to another replica). */
  serviceRestart: 1012,
  /** The client did not read its updates fast enough. */
  slowClient: 4008,
  unauthorized: CloseCode.Unauthorized,
  forbidden: CloseCode.Forbidden,
} as const;

export interface LiveLimits extends GuardLimits {
  readonly subscriptionsPerConnection: number;
  readonly connectionsPerUser: number;
  readonly connectionsPerIp: number;
  /** Keep-alive ping period; a client that does not answer within it is dropped, ms. */
  readonly keepAliveMs: number;
}

export interface LiveServer extends Component {
  readonly connections: number;
}

/** What the gateway keeps per connection, as graphql-ws's `ctx.extra`. */
interface Connection extends LiveSubscriber {
  readonly socket: WebSocket;
  readonly ip: string;
  viewer?: Viewer;
  expiry?: NodeJS.Timeout;
}

function counter() {
  const counts = new Map<string, number>();
  return {
    add(key: string): number {
      const count = (counts.get(key) ?? 0) + 1;
      counts.set(key, count);
      return count;
    },
    remove(key: string): void {
      const count = (counts.get(key) ?? 1) - 1;
      if (count <= 0) counts.delete(key);
      else counts.set(key, count);
    },
  };
}

export function startLiveServer(options: {
  readonly server: Server;
  readonly app: Express;
  readonly schema: GraphQLSchema;
  readonly tokens: AccessTokens;
  readonly services: GatewayServices;
  readonly limits: LiveLimits;
  readonly production: boolean;
  readonly logger: Logger;
}): LiveServer {
  const { tokens, services, limits, logger } = options;
  const documents = createDocumentCache(options.schema, { production: options.production });
  const trust = options.app.get('trust proxy fn') as Parameters<typeof proxyaddr>[1];
  const perIp = counter();
  const perUser = counter();
  const wss = new WebSocketServer({
    server: options.server,
    path: GRAPHQL_PATH,
    maxPayload: LIMITS.bodyBytes,
  });

  const refuse = (socket: WebSocket, code: number, reason: string, metric?: string): void => {
    if (metric) metrics.liveCloses.inc({ reason: metric });
    socket.close(code, reason);
  };

  // Before graphql-ws sees it: the address limit costs nothing to check.
  wss.on('connection', (socket, request) => {
    const ip = proxyaddr(request, trust);
    if (perIp.add(ip) > limits.connectionsPerIp) {
      refuse(
        socket,
        LiveCloseCode.policyViolation,
        'too many connections from this address',
        'limit',
      );
    }
    metrics.liveConnections.inc({});
    socket.once('close', () => {
      perIp.remove(ip);
      metrics.liveConnections.dec({});
    });
  });

  const connections = new WeakMap<WebSocket, Connection>();
  const connectionOf = (extra: { socket: WebSocket; request: IncomingMessage }): Connection => {
    let connection = connections.get(extra.socket);
    if (!connection) {
      connection = {
        socket: extra.socket,
        streams: new Set(),
        outbox: createOutbox(extra.socket),
        ip: proxyaddr(extra.request, trust),
      };
      connections.set(extra.socket, connection);
    }
    return connection;
  };

  const end = (connection: Connection): void => {
    clearTimeout(connection.expiry);
    if (connection.viewer) perUser.remove(connection.viewer.userId);
    connection.viewer = undefined;
  };

  const authenticate = async (connection: Connection, params: unknown): Promise<boolean> => {
    const token = (params as { accessToken?: unknown } | undefined)?.accessToken;
    const { socket } = connection;
    if (typeof token !== 'string' || token === '') {
      refuse(socket, LiveCloseCode.unauthorized, 'connection_init needs { accessToken }');
      return false;
    }
    let viewer: Viewer;
    try {
      viewer = await tokens.verify(token);
      const user = await services.store.load(viewer.userId);
      if (!user.sessions.some((session) => session.id === viewer.sessionId)) {
        refuse(socket, LiveCloseCode.forbidden, 'the session has ended: log in again');
        return false;
      }
    } catch (error) {
      if (!(error instanceof AccessTokenError || error instanceof GraphQLError)) throw error;
      const code =
        error instanceof AccessTokenError && error.problem === 'malformed'
          ? LiveCloseCode.unauthorized
          : LiveCloseCode.forbidden;
      refuse(socket, code, error.message);
      return false;
    }
    if (perUser.add(viewer.userId) > limits.connectionsPerUser) {
      perUser.remove(viewer.userId);
      refuse(socket, LiveCloseCode.policyViolation, 'too many connections for this user', 'limit');
      return false;
    }
    connection.viewer = viewer;
    // The token's end is the connection's end: the client reconnects with a fresh token.
    connection.expiry = setTimeout(
      () => {
        refuse(socket, LiveCloseCode.forbidden, 'the access token has expired', 'token_expired');
      },
      Math.max(0, viewer.expiresAt.getTime() - Date.now()),
    );
    return true;
  };

  const graphqlWs = useServer<
    Record<string, unknown>,
    { socket: WebSocket; request: IncomingMessage }
  >(
    {
      schema: options.schema,
      async onConnect(ctx) {
        return authenticate(connectionOf(ctx.extra), ctx.connectionParams);
      },
      onSubscribe(ctx, id, payload) {
        const connection = connectionOf(ctx.extra);
        if (Object.keys(ctx.subscriptions).length > limits.subscriptionsPerConnection) {
          return [
            badInput(
              'subscribe',
              `at most ${limits.subscriptionsPerConnection} subscriptions per connection`,
            ),
          ];
        }
        const checked = documents.get(payload.query, payload.operationName);
        if ('errors' in checked) return checked.errors;
        const args: ExecutionArgs = {
          schema: options.schema,
          document: checked.document,
          operationName: payload.operationName,
          variableValues: payload.variables,
        };
        const contextValue: GatewayContext = {
          viewer: connection.viewer ?? null,
          authProblem: null,
          ip: connection.ip,
          services,
          live: { subscriber: connection, id, execution: sharedExecution(args, payload) },
        };
        // The shared execution reads `args` when an event comes, by then with its context.
        args.contextValue = contextValue;
        return args;
      },
      // Only the source stream (a LiveStream, which yields nothing: it writes its updates
      // itself): the hub runs the document once per event and distinct document (live-hub.ts)
      // instead of graphql-js's subscribe running it for each subscriber.
      subscribe: (args) =>
        createSourceEventStream(args) as Promise<ExecutionResult | AsyncIterable<never>>,
      onError(_ctx, _id, _payload, errors) {
        for (const error of errors) {
          if (!error.extensions.code) logger.warn({ err: error }, 'subscription failed');
        }
      },
      onClose(ctx) {
        end(connectionOf(ctx.extra));
      },
    },
    wss,
    limits.keepAliveMs,
  );

  const guard = guardConnections({
    clients: () => wss.clients,
    subscriberOf: (socket) => connections.get(socket),
    limits,
    close: (socket) => {
      refuse(socket, LiveCloseCode.slowClient, 'slow client: updates not read', 'slow_client');
    },
  });

  return {
    name: 'graphql-ws',
    get connections() {
      return wss.clients.size;
    },
    async stop() {
      guard.stop();
      for (const socket of wss.clients) {
        refuse(socket, LiveCloseCode.serviceRestart, 'service restart', 'shutdown');
      }
      // A client that does not answer the close handshake is not waited for.
      const hung = setTimeout(() => {
        for (const socket of wss.clients) socket.terminate();
      }, limits.closeGraceMs);
      await graphqlWs.dispose();
      clearTimeout(hung);
    },
  };
}
