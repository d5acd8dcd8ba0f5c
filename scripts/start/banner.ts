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
  readonly mail: string;
  /** Where the emails land, when npm start keeps them. */
  readonly mailDir?: string;
  readonly dataDir: string;
}

export function readyBanner(facts: ReadyFacts): string {
  const shown = (dir: string) => {
    const relative = path.relative(process.cwd(), dir);
    return relative.startsWith('..') || path.isAbsolute(relative) ? dir : `./${relative}`;
  };
  const width = Math.max(...facts.services.map(({ name }) => name.length));
  return [
    '',
    `tickwatch is ready (${facts.services.length} services, ${facts.seconds.toFixed(1)} s)`,
    `  GraphiQL  ${facts.graphql}`,
    ...facts.services.map(
      ({ name, ops }, index) =>
        `  ${index === 0 ? 'metrics ' : '        '}  ${name.padEnd(width)}  ${ops}/metrics`,
    ),
    `  emails    ${facts.mailDir ? `${shown(facts.mailDir)}/ (${facts.mail})` : facts.mail}`,
    `  MongoDB   ${facts.mongo}`,
    `  RabbitMQ  ${facts.broker}`,
    `  data      ${shown(facts.dataDir)}/`,
    '',
    'Try it:',
    '  npm run demo      a demo user (verified by its emailed link), rules near the live prices, then its alerts and emails as they come',
    `  open ${facts.graphql}   GraphiQL, with example operations`,
    `  register there: the verification email lands in ${facts.mailDir ? `${shown(facts.mailDir)}/` : 'your mailbox'}; alerts reach you once its link is followed`,
    '',
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
}
