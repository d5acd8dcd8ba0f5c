/**
 * Runs the local SMTP sink (infra/src/mail-sink.ts) on its own: it accepts every email, writes
 * each as an .eml file and logs one line per email. npm start runs it as the embedded default's
 * mail server; by hand:
 *
 *   npm run mail:sink -- --port 1025 --dir ./var/mail
 */
import { parseArgs } from 'node:util';
import { createLogger } from '@tickwatch/infra/log';
import { startMailSink } from '@tickwatch/infra/mail-sink';

const usage = `usage: npm run mail:sink -- [--port 1025] [--host 127.0.0.1] [--dir DIR]
  --port  SMTP port (default 1025; 0 picks a free one)
  --host  address to bind (default 127.0.0.1: it accepts mail from anyone who can connect)
  --dir   where each email is written as an .eml file (default ./var/mail)`;

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '1025' },
    host: { type: 'string', default: '127.0.0.1' },
    dir: { type: 'string', default: 'var/mail' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(usage);
  process.exit(2);
}

const logger = createLogger({ name: 'mail-sink', level: process.env.LOG_LEVEL ?? 'info' });
const sink = await startMailSink({
  port,
  host: values.host,
  directory: values.dir,
  logger,
  retain: false,
}).catch((error: unknown) => {
  logger.fatal({ err: error }, `cannot start: ${(error as Error).message}`);
  process.exit(1);
});
logger.info({ SMTP_URL: sink.url, dir: values.dir }, `SMTP sink listening on ${sink.url}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sink.stop().then(() => process.exit(0));
  });
}
