/**
 * The self-hosted GraphiQL page of the gateway (bundled by ../src/graphiql/build.ts with
 * esbuild, served from /graphiql/assets; nothing comes from a CDN). Opens with the example
 * operations, or with the operation given in `?query=` (the notifier's "manage this rule"
 * links). Subscriptions go over graphql-ws on the same URL.
 */
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { createClient } from 'graphql-ws';
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

const fetcher = createGraphiQLFetcher({
  url: endpoint.href,
  wsClient: createClient({ url: wsEndpoint.href, lazy: true, retryAttempts: 0 }),
});

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
