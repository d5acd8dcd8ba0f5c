/**
 * The gateway's HTTP surface on express 5: `/graphql` (Apollo for API requests, GraphiQL for a
 * browser asking for HTML), `/unsubscribe`, GraphiQL's assets. Bodies are bounded
 * (LIMITS.bodyBytes); a refused body gets a GraphQL-shaped error, not an HTML page.
 */
import { expressMiddleware } from '@as-integrations/express5';
import type { ApolloServer } from '@apollo/server';
import express, {
  type ErrorRequestHandler,
  type Express,
  type RequestHandler,
  type Router,
} from 'express';
import type { GatewayContext, GatewayServices } from '../graphql/context.ts';
import { authenticate } from '../graphql/context.ts';
import { LIMITS } from '../graphql/limits.ts';
import type { AccessTokens } from '../auth/access-tokens.ts';

export const GRAPHQL_PATH = '/graphql';

export interface AppOptions {
  readonly apollo: ApolloServer<GatewayContext>;
  readonly tokens: AccessTokens;
  readonly services: GatewayServices;
  /** Express `trust proxy`: which hops may set X-Forwarded-For (the login limits key on it). */
  readonly trustProxy: string;
  /** GET /graphql for browsers, and its assets. */
  readonly graphiql?: { readonly page: RequestHandler; readonly assets: Router };
  readonly routers?: readonly Router[];
}

function trustProxyValue(setting: string): boolean | number | string {
  if (setting === 'true' || setting === 'false') return setting === 'true';
  return /^\d+$/.test(setting) ? Number(setting) : setting;
}

/** Body-parser errors (too large, not JSON) as GraphQL errors with their HTTP status. */
const bodyErrors: ErrorRequestHandler = (
  error: { status?: number; type?: string },
  _request,
  response,
  next,
) => {
  const status = error.status ?? 500;
  if (status >= 500) {
    next(error);
    return;
  }
  const message =
    error.type === 'entity.too.large'
      ? `request body larger than ${LIMITS.bodyBytes} bytes`
      : 'request body is not valid JSON';
  response.status(status).json({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
};

const wantsHtml: (request: express.Request) => boolean = (request) =>
  request.method === 'GET' &&
  request.accepts(['application/graphql-response+json', 'application/json', 'text/html']) ===
    'text/html';

export function createApp(options: AppOptions): Express {
  const { apollo, tokens, services, graphiql } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxyValue(options.trustProxy));

  if (graphiql) {
    app.use(graphiql.assets);
    app.get(GRAPHQL_PATH, (request, response, next) => {
      if (wantsHtml(request)) graphiql.page(request, response, next);
      else next();
    });
  }
  for (const router of options.routers ?? []) app.use(router);

  app.use(
    GRAPHQL_PATH,
    express.json({ limit: LIMITS.bodyBytes }),
    expressMiddleware(apollo, {
      context: async ({ req }) => ({
        ...(await authenticate(tokens, req.headers.authorization)),
        ip: req.ip ?? req.socket.remoteAddress ?? 'unknown',
        services,
      }),
    }),
  );
  app.use(bodyErrors);
  return app;
}
