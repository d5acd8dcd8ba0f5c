/**
 * GraphiQL, self-hosted: `GET /graphql` from a browser (Accept: text/html) gets this page, and
 * its bundle is served from /graphiql/assets (built by graphiql/build.ts). The Content Security
 * Policy allows nothing but this origin: the page cannot load from a CDN or talk elsewhere.
 */
import express, { type RequestHandler, type Router } from 'express';

export const GRAPHIQL_ASSETS_PATH = '/graphiql/assets';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  // Monaco and GraphiQL set element styles at run time.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tickwatch · GraphiQL</title>
<link rel="stylesheet" href="${GRAPHIQL_ASSETS_PATH}/app.css">
<style>html,body,#graphiql{height:100%;margin:0}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script type="module" src="${GRAPHIQL_ASSETS_PATH}/app.js"></script>
</body>
</html>
`;

export function graphiqlRoutes(bundleDir: string): { page: RequestHandler; assets: Router } {
  const assets = express.Router();
  assets.use(
    GRAPHIQL_ASSETS_PATH,
    express.static(bundleDir, { maxAge: '1h', index: false, fallthrough: false }),
  );
  const page: RequestHandler = (_request, response) => {
    response
      .status(200)
      .set({
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-cache',
      })
      .send(PAGE);
  };
  return { page, assets };
}
