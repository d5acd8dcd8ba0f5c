/**
 * What `npm start` prints once everything is ready: where to go, what runs where, and a short
 * example. The same facts are logged as one JSON line ("tickwatch is ready") for tools.
 */
import path from 'node:path';

export interface ReadyFacts {
  readonly seconds: number;
  /** The GraphQL endpoint; a browser gets GraphiQL there. */
  readonly graphql: string;
  /** Each service's operations server (/healthz, /readyz, /metrics). */
  readonly services: readonly { readonly name: string; readonly ops: string }[];
  readonly mongo: string;
  readonly broker: string;
  readonly dataDir: string;
}

export function readyBanner(facts: ReadyFacts): string {
  const relative = path.relative(process.cwd(), facts.dataDir);
  const dataDir =
    relative.startsWith('..') || path.isAbsolute(relative) ? facts.dataDir : `./${relative}`;
  const width = Math.max(...facts.services.map(({ name }) => name.length));
  return [
    '',
    `tickwatch is ready (${facts.services.length} services, ${facts.seconds.toFixed(1)} s)`,
    `  GraphiQL  ${facts.graphql}`,
    ...facts.services.map(
      ({ name, ops }, index) =>
        `  ${index === 0 ? 'metrics ' : '        '}  ${name.padEnd(width)}  ${ops}/metrics`,
    ),
    `  MongoDB   ${facts.mongo}`,
    `  RabbitMQ  ${facts.broker}`,
    `  data      ${dataDir}/`,
    '',
    'Try it:',
    `  curl -s ${facts.graphql} -H 'content-type: application/json' \\`,
    `    -d '{"query":"mutation { register(email: \\"me@example.com\\", password: \\"correct-horse-42\\") { user { id } } }"}'`,
    '',
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
}
