/**
 * `npm run demo`: the mission in a minute, against a running tickwatch (`npm start`). It
 * registers a demo user, verifies its address by following the link of the verification
 * email in ./var/mail (as a user would), subscribes to live prices and its own alerts
 * (graphql-ws), creates rules near the current simulated prices, then prints the prices and
 * alerts pushed to it and the emails as they land in ./var/mail.
 *
 *   npm run demo                      # until Ctrl-C
 *   npm run demo -- --until-email     # exits 0 once an alert and its email arrived (1 on timeout)
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { graphqlClient, type GraphQLClient } from './demo/graphql.ts';
import { subscribeLive } from './demo/live.ts';
import { watchMailFolder } from './demo/mail-folder.ts';
import { CREATE_RULE, PING, QUOTES, REGISTER, type Quote } from './demo/operations.ts';
import { rulesNearPrices } from './demo/rules.ts';
import { verifyByEmail } from './demo/verify-email.ts';

const TICKERS = ['AAPL', 'MSFT', 'NVDA'];
/** How often the first quotes are asked for and the mail folder is looked at. */
const POLL_MS = 1_000;

const { values } = parseArgs({
  options: {
    url: {
      type: 'string',
      default: `http://127.0.0.1:${process.env.GATEWAY_PORT || '4000'}/graphql`,
    },
    'mail-dir': {
      type: 'string',
      default: path.join(process.env.TICKWATCH_DATA_DIR || 'var', 'mail'),
    },
    'until-email': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '120' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(
    `usage: npm run demo -- [--url ${values.url}] [--mail-dir DIR] [--until-email [--timeout 120]]`,
  );
  process.exit(0);
}

const time = () => new Date().toTimeString().slice(0, 8);
const say = (line: string) => {
  console.log(line);
};
const event = (kind: string, line: string) => {
  say(`${time()} ${kind.padEnd(6)} ${line}`);
};
const fail = (message: string, status = 1): never => {
  console.error(`demo: ${message}`);
  process.exit(status);
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const anonymous = graphqlClient(values.url);
await anonymous.request(PING).catch((error: unknown) => {
  fail(
    `no tickwatch gateway at ${values.url} (${(error as Error).message}).\n` +
      'Start it first with npm start (or give its URL with --url).',
    69,
  );
});
say(`tickwatch demo against ${values.url}`);

const email = `demo-${randomBytes(4).toString('hex')}@example.com`;
const password = randomBytes(12).toString('base64url');
const mail = await watchMailFolder(values['mail-dir'], email);
const { register } = await anonymous.request<{
  register: { accessToken: string; user: { emailVerified: boolean } };
}>(REGISTER, { email, password });
const client = anonymous.withToken(register.accessToken);
say(`registered ${email} (password ${password}: log in to GraphiQL with it)`);
if (!register.user.emailVerified) {
  const verified = await verifyByEmail(mail, 30_000).catch((error: unknown) =>
    fail(
      `${(error as Error).message}: is the notifier running, and ${values['mail-dir']} the folder npm start writes emails to (--mail-dir)?`,
    ),
  );
  say(`  email  ${shownPath(verified.email.file)}  "${verified.email.subject}"`);
  say(`  its link ${verified.link.slice(0, 60)}…  → ${verified.outcome}`);
}

const prices = await firstPrices(client);
say(`prices: ${[...prices].map(([ticker, q]) => `${ticker} ${q.price} ${q.currency}`).join(', ')}`);

// Subscribed before the rules exist, so not even an alert on the very next quote is missed.
const rules = new Map<string, string>();
const seenAlerts = new Set<string>();
const lastPrices = new Map([...prices].map(([ticker, quote]) => [ticker, quote.price]));
const live = subscribeLive({
  url: values.url,
  accessToken: register.accessToken,
  tickers: TICKERS,
  onPrice: (quote) => {
    const before = lastPrices.get(quote.ticker);
    if (before === quote.price) return;
    lastPrices.set(quote.ticker, quote.price);
    const change = before ? ` (${(((quote.price - before) / before) * 100).toFixed(2)} %)` : '';
    event('price', `${quote.ticker} ${quote.price} ${quote.currency}${change}`);
  },
  onAlert: (alert) => {
    if (seenAlerts.has(alert.id)) return;
    seenAlerts.add(alert.id);
    const rule = rules.get(alert.ruleId) ?? `rule ${alert.ruleId}`;
    event('ALERT', `${alert.ticker} at ${alert.price} ${alert.currency}: ${rule}`);
  },
  onError: (error) => {
    fail(`live subscription failed: ${describe(error)}`);
  },
});

say('rules:');
for (const rule of rulesNearPrices(new Map([...prices].map(([t, q]) => [t, q.price])))) {
  const { createAlertRule } = await client.request<{ createAlertRule: { id: string } }>(
    CREATE_RULE,
    { input: { ticker: rule.ticker, condition: rule.condition } },
  );
  rules.set(createAlertRule.id, rule.description);
  say(`  ${rule.description}`);
}
say(
  `subscribed to priceUpdated(${TICKERS.join(', ')}) and alertTriggered; watching ${values['mail-dir']} (Ctrl-C stops)\n`,
);

let emails = 0;
const deadline = Date.now() + Number(values.timeout) * 1000;
process.once('SIGINT', () => {
  say(`\n${seenAlerts.size} alert(s), ${emails} email(s)`);
  void live.close().finally(() => process.exit(0));
});

for (;;) {
  for (const received of await mail.newEmails()) {
    emails += 1;
    event('email', `${shownPath(received.file)}  "${received.subject}"`);
  }
  if (values['until-email']) {
    if (seenAlerts.size > 0 && emails > 0) break;
    if (Date.now() > deadline) {
      fail(
        `no alert and email within ${values.timeout} s (alerts: ${seenAlerts.size}, emails: ${emails})`,
      );
    }
  }
  await sleep(POLL_MS);
}
await live.close();
say(`\n${seenAlerts.size} alert(s), ${emails} email(s): the mission works`);

/** graphql-ws reports a refused subscription as GraphQL errors and a closed socket as a CloseEvent. */
function describe(error: unknown): string {
  if (Array.isArray(error)) return error.map((e: { message?: string }) => e.message).join('; ');
  if (error instanceof Error) return error.message;
  const close = error as { code?: number; reason?: string };
  return close.code ? `connection closed (${close.code} ${close.reason ?? ''})` : String(error);
}

/** Relative to the working directory when inside it, else absolute. */
function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
}

async function currentQuotes(gateway: GraphQLClient): Promise<Map<string, Quote>> {
  const { quotes } = await gateway.request<{
    quotes: { ticker: string; status: string; quote: Quote | null }[];
  }>(QUOTES, { tickers: TICKERS });
  return new Map(quotes.flatMap(({ ticker, quote }) => (quote ? [[ticker, quote] as const] : [])));
}

/** The demo's tickers once each has a quote (the collector polls every few seconds). */
async function firstPrices(gateway: GraphQLClient): Promise<Map<string, Quote>> {
  const until = Date.now() + 60_000;
  for (let waited = false; ; waited = true) {
    const quotes = await currentQuotes(gateway);
    if (quotes.size === TICKERS.length) return quotes;
    if (Date.now() > until)
      fail(`no quotes for ${TICKERS.join(', ')} after a minute: is the collector running?`);
    if (!waited) say(`waiting for the first quotes of ${TICKERS.join(', ')}...`);
    await sleep(POLL_MS);
  }
}
