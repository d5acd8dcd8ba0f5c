/**
 * Bundles the GraphiQL page (gateway/graphiql/app.tsx) with esbuild into gateway/dist/graphiql:
 * app.js + app.css, Monaco's fonts, and Monaco's three workers as entry points of their own
 * (editor, JSON, GraphQL). Not committed: built when the gateway starts if missing or stale
 * (a stamp of the sources and the versions of what they bundle), and by
 * `npm run build:graphiql -w gateway` (which `npm ci` runs; `-- --force` rebuilds regardless).
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const gatewayDir = fileURLToPath(new URL('../../', import.meta.url));
const sourceDir = path.join(gatewayDir, 'graphiql');
export const GRAPHIQL_OUT_DIR = path.join(gatewayDir, 'dist', 'graphiql');
const STAMP = 'build.stamp';
const require = createRequire(path.join(gatewayDir, 'package.json'));

/** What the bundle is made of: our sources and the bundled packages' versions. */
async function stampOf(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of (await readdir(sourceDir)).sort()) {
    hash.update(file).update(await readFile(path.join(sourceDir, file)));
  }
  for (const name of [
    'graphiql',
    '@graphiql/react',
    '@graphiql/toolkit',
    'graphql-ws',
    'react',
    'react-dom',
    'monaco-editor',
    'monaco-graphql',
    'esbuild',
  ]) {
    const manifest = JSON.parse(
      await readFile(require.resolve(`${name}/package.json`), 'utf8'),
    ) as { version: string };
    hash.update(`${name}@${manifest.version}`);
  }
  return hash.digest('hex');
}

/** Builds unless an up-to-date bundle is there; returns the output directory. */
export async function ensureGraphiqlBundle(
  options: { readonly force?: boolean } = {},
): Promise<{ dir: string; built: boolean }> {
  const stamp = await stampOf();
  const existing = await readFile(path.join(GRAPHIQL_OUT_DIR, STAMP), 'utf8').catch(() => '');
  if (!options.force && existing === stamp) return { dir: GRAPHIQL_OUT_DIR, built: false };
  // Built beside, then swapped in: a second process building at once never serves half a bundle.
  const building = `${GRAPHIQL_OUT_DIR}.${process.pid}.tmp`;
  await rm(building, { recursive: true, force: true });
  await mkdir(building, { recursive: true });
  const workers = {
    'editor.worker': require.resolve('monaco-editor/esm/vs/editor/editor.worker.js'),
    'json.worker': require.resolve('monaco-editor/esm/vs/language/json/json.worker.js'),
    'graphql.worker': require.resolve('monaco-graphql/esm/graphql.worker.js'),
  };
  await build({
    entryPoints: { app: path.join(sourceDir, 'app.tsx'), ...workers },
    outdir: building,
    bundle: true,
    format: 'esm',
    splitting: false,
    minify: true,
    sourcemap: false,
    target: ['es2022'],
    jsx: 'automatic',
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'dataurl' },
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
    legalComments: 'none',
  });
  await writeFile(path.join(building, STAMP), stamp);
  await rm(GRAPHIQL_OUT_DIR, { recursive: true, force: true });
  await rename(building, GRAPHIQL_OUT_DIR);
  return { dir: GRAPHIQL_OUT_DIR, built: true };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  const { dir, built } = await ensureGraphiqlBundle({ force: process.argv.includes('--force') });
  const where = path.relative(process.cwd(), dir);
  const ms = Math.round(performance.now() - started);
  console.log(
    built
      ? `GraphiQL bundled into ${where} in ${ms} ms`
      : `GraphiQL bundle in ${where} is up to date`,
  );
}
