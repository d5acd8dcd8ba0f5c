/**
 * Notifier benchmark (issue 12), `npm run bench -- notifier`.
 *
 * 1. Emails/s into a local SMTP sink: the notifier's email sender (template rendering, the
 *    signed unsubscribe link, nodemailer) with NOTIFIER_CONCURRENCY sends at once, through the
 *    pooled transport (SMTP_POOL_SIZE connections, reused) against one connection per email
 *    (the baseline). The sink is `npm run mail:sink`'s script in a process of its own (it
 *    writes every email to an .eml file, as under npm start). EMAILS per run, ROUNDS
 *    interleaved rounds, medians.
 * 2. Latency from alert.triggered to SMTP accepted at ALERT_RATE alerts/s for LATENCY_SECONDS:
 *    the whole notifier as main.ts builds it (default configuration), on the local RabbitMQ
 *    (production topology, a vhost of its own) and the embedded MongoDB in its own process;
 *    alerts for USERS verified users; the time from the publish call to the moment the sink (in
 *    this process, so one clock) accepted the email, found by its Message-ID (derived from the
 *    alert id). The first 10 % are discarded as warm-up.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import mongoose from 'mongoose';
import { createEvent, derivedEventId, EventType } from '@tickwatch/contracts';
import { exampleData } from '@tickwatch/contracts/examples';
import { loadConfig } from '@tickwatch/infra/config';
import { createLogger } from '@tickwatch/infra/log';
import { startMailSink } from '@tickwatch/infra/mail-sink';
import { createMessaging, tickwatchTopology } from '@tickwatch/infra/messaging';
import { createTestVhost } from '@tickwatch/infra/messaging/testing';
import { createLinkSigner } from '@tickwatch/infra/signed-links';
import { pollUntil } from '@tickwatch/infra/testing';
import { createEmailComposer } from '../notifier/src/email/compose-email.ts';
import { createLinks } from '../notifier/src/email/links.ts';
import { createEmailSender, createSmtpTransport } from '../notifier/src/email/smtp-sender.ts';
import { settings } from '../notifier/src/config.ts';
import { createNotifier } from '../notifier/src/notifier.ts';
import type { Recipient } from '../notifier/src/recipients/recipients.ts';
import { spawnServer } from '../infra/src/mongo/embedded/testing/spawn-server.ts';
import { startChild, type Child } from './lib/child.ts';
import type { BenchReport } from './lib/report.ts';
import { median } from './lib/stats.ts';

const EMAILS = Number(process.env.BENCH_EMAILS ?? 1_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ALERT_RATE = 100;
const LATENCY_SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const USERS = 200;
const silent = createLogger({ name: 'bench', level: 'silent' });
const config = loadConfig(settings, {});

const smtpUrlOf = (line: string): string | undefined => {
  try {
    return (JSON.parse(line) as { SMTP_URL?: string }).SMTP_URL;
  } catch {
    return undefined;
  }
};

/** The mail sink script in its own process; resolves with its SMTP URL once it listens. */
async function startSinkProcess(directory: string): Promise<{ child: Child; url: string }> {
  const child = await startChild(
    [
      path.resolve(import.meta.dirname, '../scripts/mail-sink.ts'),
      '--port',
      '0',
      '--dir',
      directory,
    ],
    { env: { LOG_LEVEL: 'info' }, ready: (line) => smtpUrlOf(line) !== undefined },
  );
  return { child, url: smtpUrlOf(child.line) as string };
}

const recipient = (index: number): Recipient => ({
  userId: randomUUID(),
  email: `user-${String(index)}@example.com`,
  emailVerified: true,
  timeZone: 'Europe/London',
  alertsUnsubscribed: false,
  webhook: null,
  maxAlertsPerHour: null,
  quietHours: null,
});

/** EMAILS alert emails through the notifier's sender, NOTIFIER_CONCURRENCY at once; emails/s. */
async function sendEmails(url: string, pooled: boolean): Promise<number> {
  const transport = createSmtpTransport(
    {
      url,
      poolSize: config.SMTP_POOL_SIZE,
      requireTls: false,
      rejectUnauthorized: true,
      timeoutMs: config.SMTP_TIMEOUT_MS,
      pooled,
    },
    silent,
  );
  const sender = createEmailSender({
    transport,
    composer: createEmailComposer({
      links: createLinks({
        publicBaseUrl: config.PUBLIC_BASE_URL,
        signer: createLinkSigner({ key: config.LINK_SIGNING_KEY }),
      }),
      messageIdDomain: 'tickwatch.localhost',
      defaultMaxAlertsPerHour: config.DEFAULT_MAX_ALERTS_PER_HOUR,
    }),
    from: config.MAIL_FROM,
    sendTimeoutMs: 4 * config.SMTP_TIMEOUT_MS,
  });
  const example = exampleData[EventType.alertTriggered];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < EMAILS) {
      const index = next++;
      const alertId = derivedEventId(EventType.alertTriggered, [randomUUID(), 1, 1]);
      await sender.send(
        { kind: 'ALERT', deliveryId: randomUUID(), alert: { ...example, alertId } },
        recipient(index),
      );
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: config.NOTIFIER_CONCURRENCY }, worker));
  const seconds = (performance.now() - start) / 1000;
  transport.close();
  return EMAILS / seconds;
}

interface Latency {
  /** Emails accepted per second from the first publish to the last email. */
  readonly achievedRate: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly samples: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** The whole notifier, alerts published at ALERT_RATE/s: alert.triggered → SMTP accepted. */
async function alertLatency(): Promise<Latency> {
  const vhost = await createTestVhost('bench-notifier');
  const mongo = await spawnServer();
  const sink = await startMailSink();
  const connection = await mongoose
    .createConnection(mongo.uri, { dbName: 'tickwatch_notifier' })
    .asPromise();
  const topology = tickwatchTopology();
  const messaging = createMessaging({ url: vhost.url, service: 'notifier', topology });
  const alerter = createMessaging({ url: vhost.url, service: 'bench-alerter', topology });
  const notifier = createNotifier({
    connection,
    messaging,
    logger: silent,
    smtp: {
      url: sink.url,
      poolSize: config.SMTP_POOL_SIZE,
      requireTls: false,
      rejectUnauthorized: true,
      timeoutMs: config.SMTP_TIMEOUT_MS,
    },
    mailFrom: config.MAIL_FROM,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    linkSigningKey: config.LINK_SIGNING_KEY,
    webhook: { timeoutMs: config.WEBHOOK_TIMEOUT_MS, allowPrivateTargets: false },
    concurrency: config.NOTIFIER_CONCURRENCY,
    defaultMaxAlertsPerHour: config.DEFAULT_MAX_ALERTS_PER_HOUR,
  });
  try {
    await messaging.start();
    await alerter.start();
    await notifier.start();
    const users = Array.from({ length: USERS }, (_, index) => recipient(index));
    for (const user of users) {
      await alerter.publish(
        createEvent(
          EventType.userPreferencesChanged,
          {
            userId: user.userId,
            version: 1,
            email: user.email,
            emailVerified: true,
            timeZone: user.timeZone,
            alertsUnsubscribed: false,
            webhookUrl: null,
            webhookSecret: null,
            maxAlertsPerHour: config.DEFAULT_MAX_ALERTS_PER_HOUR,
            quietHours: null,
          },
          { source: 'tickwatch/gateway' },
        ),
      );
    }
    await pollUntil(
      `${USERS} recipients projected`,
      async () => (await notifier.recipients.countDocuments()) >= USERS,
      { timeoutMs: 60_000, intervalMs: 100 },
    );

    const total = ALERT_RATE * LATENCY_SECONDS;
    const publishedAt = new Map<string, number>();
    const example = exampleData[EventType.alertTriggered];
    const start = performance.now();
    for (let sent = 0; sent < total;) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * ALERT_RATE));
      for (; sent < due; sent++) {
        const user = users[sent % USERS];
        const ruleId = randomUUID();
        const alertId = derivedEventId(EventType.alertTriggered, [ruleId, 1, 1]);
        const event = createEvent(
          EventType.alertTriggered,
          { ...example, alertId, ruleId, userId: user?.userId ?? '' },
          { source: 'tickwatch/alerter', id: alertId },
        );
        publishedAt.set(alertId, Date.now());
        alerter.publish(event).catch((error: unknown) => {
          console.error('alert not published', error);
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const firstPublish = Date.now() - (performance.now() - start);
    await sink.waitFor(total, { timeoutMs: 120_000 });
    const lastAccepted = Math.max(...sink.messages.map((mail) => mail.receivedAt.getTime()));
    const latencies = sink.messages.map((mail) => {
      const alertId = /^<?([0-9a-f-]{36})\./.exec(mail.parsed.messageId ?? '')?.[1] ?? '';
      const at = publishedAt.get(alertId);
      if (at === undefined) throw new Error(`unexpected email ${String(mail.parsed.messageId)}`);
      return mail.receivedAt.getTime() - at;
    });
    const kept = latencies.slice(Math.floor(total / 10)).sort((a, b) => a - b);
    return {
      achievedRate: total / ((lastAccepted - firstPublish) / 1000),
      p50: percentile(kept, 50),
      p99: percentile(kept, 99),
      max: kept.at(-1) ?? NaN,
      samples: kept.length,
    };
  } finally {
    await notifier.stop();
    await alerter.close();
    await messaging.close();
    await connection.close();
    await sink.stop();
    mongo.process.kill('SIGTERM');
    await vhost.delete();
  }
}

export default async function notifierBench(): Promise<BenchReport> {
  process.env.LOG_LEVEL ??= 'silent';
  const directory = await mkdtemp(path.join(tmpdir(), 'notifier-bench-'));
  const sink = await startSinkProcess(directory);
  const runs = { pooled: [] as number[], perMail: [] as number[] };
  try {
    await sendEmails(sink.url, true); // warm-up: templates, JIT
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [true, false] : [false, true];
      for (const pooled of order) {
        (pooled ? runs.pooled : runs.perMail).push(await sendEmails(sink.url, pooled));
      }
    }
  } finally {
    await sink.child.stop();
    await rm(directory, { recursive: true, force: true });
  }
  const latency = await alertLatency();

  const perMail = median(runs.perMail);
  const pooled = median(runs.pooled);
  const list = (values: readonly number[]) => values.map((v) => Math.round(v)).join(', ');
  return {
    title: 'Notifier: emails/s into a local SMTP sink, and alert.triggered → SMTP accepted',
    rows: [
      {
        scenario: 'one SMTP connection per email (baseline)',
        'emails/s': Math.round(perMail),
        'vs baseline': 1,
      },
      {
        scenario: `pooled transport (${config.SMTP_POOL_SIZE} connections)`,
        'emails/s': Math.round(pooled),
        'vs baseline': Math.round((pooled / perMail) * 100) / 100,
      },
      {
        scenario: `whole notifier at ${ALERT_RATE} alerts/s, alert.triggered → SMTP accepted`,
        'p50 ms': latency.p50,
        'p99 ms': latency.p99,
        'max ms': latency.max,
      },
    ],
    notes: [
      `${EMAILS.toLocaleString('en-US')} alert emails per run, ${config.NOTIFIER_CONCURRENCY} sends at once, median of ${ROUNDS} interleaved rounds after a warm-up (per email: ${list(runs.perMail)}; pooled: ${list(runs.pooled)}); the sink is scripts/mail-sink.ts in its own process, writing .eml files.`,
      `The notifier ${latency.achievedRate >= ALERT_RATE * 0.95 ? 'kept up' : 'did NOT keep up'} with ${ALERT_RATE} alerts/s: ${latency.achievedRate.toFixed(1)} emails/s from the first publish to the last email${latency.achievedRate >= ALERT_RATE * 0.95 ? '' : ' (the latency is then mostly time queued)'}.`,
      `Latency: ${(ALERT_RATE * LATENCY_SECONDS).toLocaleString('en-US')} alerts for ${USERS} users over ${LATENCY_SECONDS} s, the first 10 % discarded (${latency.samples} samples); each delivery is claimed, sent, marked SENT and its notification.sent published through the outbox; MongoDB (embedded) in its own process, the sink in the bench process.`,
    ],
  };
}
