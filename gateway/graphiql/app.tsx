/**
 * The self-hosted GraphiQL page of the gateway (bundled by ../src/graphiql/build.ts with
 * esbuild, served from /graphiql/assets; nothing comes from a CDN). Opens with the example
 * operations, or with the operation given in `?query=` (the notifier's "manage this rule"
 * links). Subscriptions go over graphql-ws on the same URL, with the headers editor's token.
 */
import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { createClient, type Client } from 'graphql-ws';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { DEFAULT_HEADERS, EXAMPLES } from './examples.ts';

const ASSETS = '/graphiql/assets';
const WORKERS: Record<string, string> = { json: 'json.worker.js', graphql: 'graphql.worker.js' };

// Monaco's three workers, each its own bundle (no blob: URLs, no CDN).
(globalThis as { MonacoEnvironment?: object }).MonacoEnvironment = {
  getWorker(_id: string, label: string) {
    return new Worker(`${ASSETS}/${WORKERS[label] ?? 'editor.worker.js'}`, { type: 'module' });
  },
};

const endpoint = new URL('/graphql', window.location.href);
const wsEndpoint = new URL(endpoint);
wsEndpoint.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';

/** The token of the headers editor's `Authorization: Bearer <token>`, if any. */
function bearerOf(headers: Record<string, unknown> | undefined): string | null {
  const value = Object.entries(headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'authorization',
  )?.[1];
  return typeof value === 'string' ? (/^Bearer\s+(\S+)$/i.exec(value.trim())?.[1] ?? null) : null;
}

// graphql-ws sends no HTTP headers: the token goes in connection_init, so a new token (from
// the headers editor) means a new WebSocket client.
let current: { token: string | null; fetcher: Fetcher; client: Client } | null = null;
function fetcherFor(token: string | null): Fetcher {
  if (current?.token !== token) {
    void current?.client.dispose();
    const client = createClient({
      url: wsEndpoint.href,
      lazy: true,
      retryAttempts: 0,
      connectionParams: token ? { accessToken: token } : {},
    });
    current = {
      token,
      client,
      fetcher: createGraphiQLFetcher({ url: endpoint.href, wsClient: client }),
    };
  }
  return current.fetcher;
}

const fetcher: Fetcher = (params, options) =>
  fetcherFor(bearerOf(options?.headers))(params, options);

/** `?query=` (and `?variables=`) from a link: that operation, in a tab of its own. */
const params = new URLSearchParams(window.location.search);
const linked = params.get('query');

const root = document.getElementById('graphiql');
if (!root) throw new Error('no #graphiql element');
createRoot(root).render(
  <StrictMode>
    <GraphiQL
      fetcher={fetcher}
      defaultTabs={
        linked
          ? [{ query: linked, variables: params.get('variables') ?? undefined }]
          : [...EXAMPLES]
      }
      {...(linked ? { initialQuery: linked } : {})}
      defaultHeaders={DEFAULT_HEADERS}
      shouldPersistHeaders={false}
    />
  </StrictMode>,
);
