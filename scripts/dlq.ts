/**
 * The DLQ tool: `npm run dlq -- list | show <queue> | replay <queue> | purge <queue> --yes`
 * with `--limit N` (show: 10 by default; replay: everything present when it starts; purge:
 * everything) and `--json`. `<queue>` is a work queue or its `.dlq`. The broker is
 * RABBITMQ_URL (default amqp://guest:guest@127.0.0.1:5672); the tool says on stderr which broker
 * and vhost it acts on (password masked), and refuses a vhost that does not exist.
 *
 * Reads the topology description, not the broker's queue list, so it knows every DLQ and
 * which queue a message goes back to. See infra/src/messaging/README.md "Dead letters".
 */
import { parseArgs } from 'node:util';
import { env, loadConfig, loggableUrl, setting } from '@tickwatch/infra/config';
import { createLogger } from '@tickwatch/infra/log';
import { tickwatchTopology } from '@tickwatch/infra/messaging';
import {
  connectBroker,
  listDeadLetterQueues,
  purgeDeadLetters,
  replayDeadLetters,
  resolveDeadLetterQueue,
  showDeadLetters,
  type DeadLetterView,
} from '@tickwatch/infra/messaging/dlq';

const USAGE = `usage: npm run dlq -- <command> [<queue>] [--limit N] [--json]
  list                    every DLQ of the topology with its message count
  show <queue>            the first N dead letters (default 10), left in place
  replay <queue>          back to the queue they died in, attempts reset (default: all present)
  purge <queue> --yes     delete them (the N oldest with --limit)
<queue> is a work queue (notifier.deliveries) or its DLQ (notifier.deliveries.dlq).`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        limit: { type: 'string' },
        json: { type: 'boolean', default: false },
        yes: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
})();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const [command, queueArgument] = positionals;
const limit = values.limit === undefined ? undefined : Number(values.limit);
if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
  fail(`--limit must be a positive integer, got ${values.limit ?? ''}`);
}

const config = loadConfig({
  RABBITMQ_URL: setting(env.url(['amqp', 'amqps']), 'broker URL', {
    default: 'amqp://guest:guest@127.0.0.1:5672',
  }),
});
const topology = tickwatchTopology();
const logger = createLogger({ name: 'dlq', level: 'warn' });

function needQueue(): string {
  if (!queueArgument) fail(`${command ?? ''} needs a queue`);
  try {
    resolveDeadLetterQueue(topology, queueArgument);
  } catch (error) {
    fail((error as Error).message);
  }
  return queueArgument;
}

function printView(view: DeadLetterView, index: number): void {
  const lines = [
    `#${index + 1} ${view.messageId ?? '(no id)'} ${view.type ?? '(no type)'}`,
    `  reason:      ${view.reason}`,
    `  queue:       ${view.queue ?? '?'}   routing key: ${view.routingKey}   attempts: ${view.attempts}`,
  ];
  if (view.lastError) lines.push(`  last error:  ${view.lastError}`);
  if (view.replayedAt) lines.push(`  replayed at: ${view.replayedAt}`);
  for (const death of view.deaths) {
    lines.push(`  x-death:     ${death.reason} in ${death.queue} ×${death.count}`);
  }
  lines.push(`  body:        ${JSON.stringify(view.body)}`);
  console.log(lines.join('\n'));
}

if (!command || !['list', 'show', 'replay', 'purge'].includes(command)) {
  fail(command ? `unknown command "${command}"` : 'missing command');
}
const queue = command === 'list' ? '' : needQueue();
if (command === 'purge' && !values.yes) {
  fail(`purge deletes dead letters for good: add --yes to purge ${queue}`);
}

const broker = new URL(config.RABBITMQ_URL);
// As amqplib reads it: no path or an empty one is the default vhost `/`.
const vhost = decodeURIComponent(broker.pathname.slice(1)) || '/';
const where = `broker ${loggableUrl(`${broker.protocol}//${broker.username}:${broker.password}@${broker.host}`)}, vhost "${vhost}"`;
// On stderr, so that --json output stays JSON.
console.error(
  `${command}: ${where}${process.env.RABBITMQ_URL ? '' : ' (RABBITMQ_URL not set: the default)'}`,
);

const connection = await connectBroker({
  url: config.RABBITMQ_URL,
  heartbeatSeconds: 30,
  connectTimeoutMs: 10_000,
  connectionName: 'tickwatch dlq tool',
  onClosed: (error) => {
    console.error(`connection lost: ${error.message}`);
    process.exitCode = 1;
  },
}).catch((error: unknown) => {
  const text = error instanceof Error ? error.message : String(error);
  // Logged in, then closed at connection.open: the broker's 530 NOT_ALLOWED for a vhost that
  // does not exist or this user has no permission on (amqplib drops the broker's words).
  if (text.includes('Expected ConnectionOpenOk')) {
    console.error(
      `refused: vhost "${vhost}" does not exist on ${broker.host}, or this user has no permission on it; check RABBITMQ_URL`,
    );
  } else {
    console.error(`cannot connect to ${where}: ${text.split('\n')[0] ?? text}`);
  }
  process.exit(1);
});
try {
  switch (command) {
    case 'list': {
      const rows = await listDeadLetterQueues(connection, topology);
      if (values.json) {
        console.log(JSON.stringify(rows, null, 2));
        break;
      }
      const width = Math.max(...rows.map((r) => r.deadLetterQueue.length));
      console.log(`${'dead-letter queue'.padEnd(width)}  messages  consumer of the work queue`);
      for (const row of rows) {
        const count = row.messageCount === null ? 'missing' : String(row.messageCount);
        console.log(`${row.deadLetterQueue.padEnd(width)}  ${count.padStart(8)}  ${row.consumer}`);
      }
      console.log(`(${loggableUrl(config.RABBITMQ_URL)})`);
      break;
    }
    case 'show': {
      const views = await showDeadLetters(connection, topology, queue, limit ?? 10);
      if (values.json) console.log(JSON.stringify(views, null, 2));
      else if (views.length === 0) console.log(`${queue}: no dead letters`);
      else views.forEach(printView);
      break;
    }
    case 'replay': {
      const result = await replayDeadLetters(
        connection,
        topology,
        queue,
        limit ?? Number.MAX_SAFE_INTEGER,
        logger,
      );
      const target = resolveDeadLetterQueue(topology, queue).name;
      console.log(`replayed ${result.replayed} message(s) to ${target}`);
      if (result.error) {
        console.error(`stopped: ${result.error.message} (that message is still in the DLQ)`);
        process.exitCode = 1;
      }
      break;
    }
    case 'purge': {
      const purged = await purgeDeadLetters(connection, topology, queue, limit);
      console.log(
        `purged ${purged} message(s) from ${resolveDeadLetterQueue(topology, queue).deadLetterQueue ?? ''}`,
      );
      break;
    }
  }
} finally {
  await connection.close();
}
