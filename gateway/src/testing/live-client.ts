/**
 * graphql-ws clients for tests and the live benchmark: the real `graphql-ws` client on the
 * `ws` WebSocket, against the gateway's `/graphql`, plus what a test needs to see of it (close
 * codes, each `connection_init`).
 */
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import WebSocket from 'ws';

export interface LiveClient {
  readonly client: Client;
  /** Close codes of every closed socket, in order. */
  readonly closes: number[];
  /** `connection_init`s sent (a reconnect sends another). */
  readonly inits: () => number;
  /** The next result of `query`, its iterator kept for more. */
  subscribe<T>(query: string, variables?: Record<string, unknown>): LiveSubscription<T>;
  dispose(): Promise<void>;
}

export interface LiveSubscription<T> {
  /** The next `next` payload (data and errors). */
  next(): Promise<{
    data?: T | null;
    errors?: readonly { message: string; extensions?: Record<string, unknown> }[];
  }>;
  stop(): Promise<void>;
}

export function wsUrl(httpUrl: string): string {
  return `${httpUrl.replace(/^http/, 'ws')}/graphql`;
}

export function liveClient(
  httpUrl: string,
  token: string | (() => string | Promise<string>) | null,
  options: Partial<ClientOptions> = {},
): LiveClient {
  const closes: number[] = [];
  let inits = 0;
  const client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: async () => {
      inits += 1;
      const accessToken = typeof token === 'function' ? await token() : token;
      return accessToken === null ? {} : { accessToken };
    },
    on: {
      closed: (event) => {
        closes.push((event as { code: number }).code);
      },
    },
    ...options,
  });
  return {
    client,
    closes,
    inits: () => inits,
    subscribe<T>(query: string, variables: Record<string, unknown> = {}): LiveSubscription<T> {
      const iterator = client.iterate({ query, variables });
      return {
        async next() {
          const result = await iterator.next();
          if (result.done) throw new Error('the subscription completed');
          return result.value as never;
        },
        async stop() {
          await iterator.return?.();
        },
      };
    },
    dispose: async () => {
      await client.dispose();
    },
  };
}
