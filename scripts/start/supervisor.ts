/**
 * `npm start`, the whole product on one machine: MongoDB and RabbitMQ first (the embedded
 * server and, when none answers, a local broker node), then the four services as separate
 * processes, each restarted when it crashes; ready once every /readyz says so. A stop (SIGINT,
 * SIGTERM) goes the other way: services first, then what they depend on.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { nodeArguments } from '@tickwatch/infra/telemetry';
import { REPOSITORY_ROOT } from '../services.ts';
import { readyBanner } from './banner.ts';
import type { LogOutput } from './log-output.ts';
import { startMailSink, useExternalSmtp } from './mail.ts';
import { startEmbeddedMongo, useExternalMongo } from './mongo.ts';
import { bindProblem } from './network.ts';
import { brokerStarter } from './rabbitmq.ts';
import { waitUntilReady } from './readiness.ts';
import { planStart, serviceEnvironments, type StartConfig, type StartPlan } from './settings.ts';
import { StartError } from './start-error.ts';
import { supervise, type Supervised } from './supervised.ts';

/** Crashes of one service before it is ready that make start-up give up. */
const CRASHES_BEFORE_GIVING_UP = 3;

export interface Supervisor {
  /** Resolves once everything is ready; rejects when start-up fails (then call stop()). */
  readonly started: Promise<void>;
  /** Stops everything, in order; idempotent. */
  stop(): Promise<void>;
}

export function startSupervisor(
  config: StartConfig,
  source: NodeJS.ProcessEnv,
  output: LogOutput,
  logger: Logger,
): Supervisor {
  const stops: (() => Promise<void>)[] = [];
  const running: Supervised[] = [];
  let stopping: Promise<void> | undefined;

  const abortIfStopping = () => {
    if (stopping) throw new StartError('stopped during start-up', 0);
  };
  const lines = (name: string) => (line: string, stream: 'stdout' | 'stderr') => {
    output.line(name, line, stream);
  };

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info('stopping');
      // Start-up notices the stop at its next step and unwinds; then everything it started is known.
      await started.catch(() => undefined);
      // Services first (they drain their work), then the broker and MongoDB they used.
      await Promise.all(running.map((service) => service.stop()));
      for (const stopOne of stops.reverse()) await stopOne();
      logger.info('stopped');
    })();
    return stopping;
  };

  const started = (async () => {
    const startedAt = performance.now();
    const plan = await planStart(config, source);
    await refuseBusyPorts(plan);
    const { broker, mongo, mail } = await dependencies(plan);
    abortIfStopping();
    const environments = serviceEnvironments(plan, source, {
      RABBITMQ_URL: broker.url,
      MONGO_URL: mongo.url,
      SMTP_URL: mail.url,
    });
    for (const { service } of plan.services) {
      const supervised = await supervise(
        {
          name: service.name,
          command: process.execPath,
          args: nodeArguments(service.entry),
          cwd: REPOSITORY_ROOT,
          env: environments.get(service.name) ?? {},
          onLine: lines(service.name),
        },
        { logger },
      );
      running.push(supervised);
      abortIfStopping();
    }
    await waitUntilReady(
      plan.services.map(({ service, ops }) => ({ name: service.name, url: `${ops}/readyz` })),
      {
        logger,
        check: () => {
          abortIfStopping();
          const failing = running.find((s) => s.crashes() >= CRASHES_BEFORE_GIVING_UP);
          if (failing) {
            throw new StartError(
              `${failing.name} crashed ${failing.crashes()} times during start-up: see its log above.`,
              1,
            );
          }
        },
      },
    );
    const facts = {
      seconds: (performance.now() - startedAt) / 1000,
      graphql: plan.graphqlUrl,
      services: plan.services.map(({ service, ops }) => ({ name: service.name, ops })),
      mongo: mongo.description,
      broker: broker.description,
      mail: mail.description,
      ...(mail.dir ? { mailDir: mail.dir } : {}),
      dataDir: plan.dataDir,
    };
    // A person gets the banner; tools get the same facts as one JSON line.
    if (output.pretty) output.text(readyBanner(facts));
    else logger.info(facts, 'tickwatch is ready');
  })();

  /** The broker, MongoDB and the mail server, side by side; each that started is stopped by stop(). */
  async function dependencies(plan: StartPlan) {
    const env = { ...source, LOG_LEVEL: plan.config.LOG_LEVEL };
    // No broker to be had: say so before starting anything.
    const startBroker = await brokerStarter({
      url: plan.config.RABBITMQ_URL,
      dir: path.join(plan.dataDir, 'rabbitmq'),
      logger,
      onNodeLine: lines('rabbitmq'),
    });
    const results = await Promise.allSettled([
      startBroker(),
      plan.externalMongoUrl
        ? useExternalMongo(plan.externalMongoUrl)
        : startEmbeddedMongo({
            port: plan.mongoPort,
            dir: path.join(plan.dataDir, 'mongo'),
            env,
            logger,
            onLine: lines('mongo'),
          }),
      plan.externalSmtpUrl
        ? useExternalSmtp(plan.externalSmtpUrl)
        : startMailSink({
            port: plan.smtpPort,
            dir: path.join(plan.dataDir, 'mail'),
            env,
            logger,
            onLine: lines('mail'),
          }),
    ] as const);
    for (const result of results) {
      if (result.status === 'fulfilled') stops.push(() => result.value.stop());
    }
    const [broker, mongo, mail] = results;
    if (broker.status === 'rejected') throw broker.reason;
    if (mongo.status === 'rejected') throw mongo.reason;
    if (mail.status === 'rejected') throw mail.reason;
    return { broker: broker.value, mongo: mongo.value, mail: mail.value };
  }

  return { started, stop };
}

/** A port already taken would make a service crash-loop: say which, and how to move it. */
async function refuseBusyPorts(plan: StartPlan): Promise<void> {
  const wanted = plan.services.flatMap(({ ports }) => [...ports]);
  if (!plan.externalMongoUrl) wanted.push(['EMBEDDED_MONGO_PORT', plan.mongoPort]);
  if (!plan.externalSmtpUrl) wanted.push(['EMBEDDED_SMTP_PORT', plan.smtpPort]);
  const problems: string[] = [];
  for (const [variable, port] of wanted) {
    const problem = await bindProblem('127.0.0.1', port);
    if (problem) problems.push(`${variable}: port ${port} is not available (${problem})`);
  }
  if (problems.length > 0) {
    throw new StartError(
      [
        'ports in use (another npm start running?). Stop it, or choose other ports:',
        ...problems.map((problem) => `  ${problem}`),
      ].join('\n'),
    );
  }
}
