/**
 * The gateway assembled: MongoDB (users + read models), messaging (outbox relay, read-model
 * projector, live feed), accounts and commands, the GraphQL schema behind Apollo on express,
 * GraphiQL, the unsubscribe route and the account pages (verification, reset, email change), on one HTTP server. Each part is registered with the
 * service lifecycle, which stops them in reverse: HTTP first, the database last.
 */
import { readFileSync } from 'node:fs';
import {
  createMessaging,
  gatewayLiveQueueSpec,
  reconnectBackoff,
  tickwatchTopology,
  withQueues,
  type MessagingOptions,
  type Topology,
} from '@tickwatch/infra/messaging';
import { createOutboxRelay } from '@tickwatch/infra/messaging/outbox';
import { connectMongo } from '@tickwatch/infra/mongo';
import type { ServiceContext } from '@tickwatch/infra/service';
import { createLinkSigner } from '@tickwatch/infra/signed-links';
import { createAccessTokens } from './auth/access-tokens.ts';
import { hourlyLimit } from './auth/hourly-limit.ts';
import { createLoginLimiter, type LoginLimits } from './auth/login-limiter.ts';
import { createPasswordHasher } from './auth/passwords.ts';
import type { GatewayConfig } from './config.ts';
import { createApollo } from './graphql/apollo.ts';
import type { GatewayServices } from './graphql/context.ts';
import { gatewaySchema } from './graphql/schema.ts';
import { ensureGraphiqlBundle } from './graphiql/build.ts';
import { accountPagesRouter } from './http/account-pages.ts';
import { createApp } from './http/app.ts';
import { graphiqlRoutes } from './http/graphiql.ts';
import { listenHttp, type HttpServer } from './http/server.ts';
import { unsubscribeRouter } from './http/unsubscribe.ts';
import { instanceId as processInstanceId, messagingMetrics } from '@tickwatch/infra/telemetry';
import { createLiveHub } from './live/live-hub.ts';
import { startLiveServer, type LiveLimits, type LiveServer } from './live/ws-server.ts';
import { createInterestLeases } from './read/interest-leases.ts';
import { startLiveFeed } from './read/live-feed.ts';
import { createMarketMemory } from './read/market-memory.ts';
import { ensureReadIndexes, readModels } from './read/models.ts';
import { startProjector } from './read/projector.ts';
import { createReadQueries } from './read/read-queries.ts';
import { gaugeSources } from './metrics.ts';
import { createAccountLinks } from './users/account-links.ts';
import { createAccounts } from './users/accounts.ts';
import { createAddressClaims } from './users/address-claims.ts';
import { createEmailFlows } from './users/email-flows.ts';
import { createPasswordCheck } from './users/password-check.ts';
import { createPasswordFlows } from './users/password-flows.ts';
import { createTombstones } from './users/tombstones.ts';
import { createUnverifiedAccounts } from './users/unverified-accounts.ts';
import { userModel } from './users/user-model.ts';
import { createUserStore } from './users/user-store.ts';

export const GATEWAY_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** What tests and benchmarks may change; production passes nothing. */
export interface GatewayOverrides {
  readonly instanceId?: string;
  /** A test database name (default tickwatch_gateway). */
  readonly dbName?: string;
  readonly topology?: Topology;
  readonly messaging?: Partial<MessagingOptions>;
  readonly loginLimits?: LoginLimits;
  /** Market memory catch-up period, ms (default 10 000). */
  readonly catchUpIntervalMs?: number;
  readonly outboxSweepIntervalMs?: number;
  /** How often accounts never verified are looked for, ms (default 60 000). */
  readonly unverifiedSweepIntervalMs?: number;
  readonly live?: Partial<LiveLimits>;
}

export interface Gateway {
  readonly http: HttpServer;
  readonly services: GatewayServices;
  readonly instanceId: string;
  readonly live: LiveServer;
}

const TEST_NOTIFICATIONS_PER_HOUR = 10;
/** Verification resends and email changes one user may ask for per hour. */
const ACCOUNT_EMAILS_PER_USER_HOUR = 5;
/** Password reset emails per address asked about, and requests per client address. */
const RESETS_PER_EMAIL_HOUR = 3;
const RESETS_PER_IP_HOUR = 20;
/**
 * Emails registration and resends send one address per hour (its verification link, or the
 * notice to its owner that someone tried to register with it): enough for one account's
 * registration and all its resends, not for flooding an inbox.
 */
export const REGISTRATION_EMAILS_PER_ADDRESS_HOUR = ACCOUNT_EMAILS_PER_USER_HOUR + 1;

export async function startGateway(
  context: ServiceContext,
  config: GatewayConfig,
  overrides: GatewayOverrides = {},
): Promise<Gateway> {
  const { logger } = context;
  const production = process.env.NODE_ENV === 'production';
  const instanceId = overrides.instanceId ?? processInstanceId();

  const mongo = context.add(
    await connectMongo({
      url: config.MONGO_URL,
      service: 'gateway',
      logger,
      ...(overrides.dbName ? { dbName: overrides.dbName } : {}),
    }),
  );
  const users = userModel(mongo.connection);
  const models = readModels(mongo.connection);
  await Promise.all([users.createIndexes(), ensureReadIndexes(models)]);

  const messaging = createMessaging({
    url: config.RABBITMQ_URL,
    reconnect: reconnectBackoff(config.RABBITMQ_RECONNECT_MAX),
    service: 'gateway',
    logger,
    observer: messagingMetrics(),
    ...overrides.messaging,
    topology: withQueues(overrides.topology ?? tickwatchTopology(), [
      gatewayLiveQueueSpec(instanceId),
    ]),
  });
  await messaging.start();
  context.add(messaging);

  const relay = createOutboxRelay({
    model: users,
    messaging,
    logger,
    ...(overrides.outboxSweepIntervalMs
      ? { sweepIntervalMs: overrides.outboxSweepIntervalMs }
      : {}),
  });
  relay.start();
  context.add({ name: 'outbox-relay', stop: () => relay.stop() });

  const memory = createMarketMemory(models);
  await memory.catchUp();
  const catchUp = setInterval(() => {
    memory.catchUp().catch((error: unknown) => {
      logger.warn({ err: error }, 'market memory catch-up failed');
    });
  }, overrides.catchUpIntervalMs ?? 10_000);
  context.add({
    name: 'market-memory',
    stop: () => {
      clearInterval(catchUp);
      return Promise.resolve();
    },
  });

  const interest = createInterestLeases({
    messaging,
    holder: `gateway:${instanceId}`,
    logger,
    leaseMs: config.INTEREST_LEASE,
  });
  const hub = createLiveHub({ interest, renewEveryMs: config.INTEREST_LEASE / 4 });
  context.add({
    name: 'live-hub',
    stop: () => {
      hub.stop();
      return Promise.resolve();
    },
  });
  const reads = createReadQueries({ models, memory, interest });
  const store = createUserStore({ users, relay, logger });
  const tombstones = context.add(createTombstones({ users, relay, logger }));
  tombstones.start();

  const limiter = createLoginLimiter(mongo.connection, {
    registrationsPerIpHour: config.REGISTRATIONS_PER_IP_HOUR,
    ...overrides.loginLimits,
  });
  const tokens = createAccessTokens({
    key: config.AUTH_TOKEN_KEY,
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  const hasher = createPasswordHasher({ costLog2: config.PASSWORD_HASH_COST });
  const links = createLinkSigner({ key: config.LINK_SIGNING_KEY });
  const accountLinks = createAccountLinks({
    signer: links,
    publicBaseUrl: config.PUBLIC_BASE_URL,
  });
  const checkPassword = createPasswordCheck({ users, hasher, limiter });
  const limit = (keyPrefix: string, perHour: number, what: string) =>
    hourlyLimit(mongo.connection, { keyPrefix, perHour, what });
  const claimAddress = createAddressClaims({
    users,
    links: accountLinks,
    emailsPerAddress: limit(
      'registration-notice',
      REGISTRATION_EMAILS_PER_ADDRESS_HOUR,
      'registration emails',
    ),
  });
  const accounts = createAccounts({
    users,
    store,
    hasher,
    tokens,
    limiter,
    refreshTtlDays: config.REFRESH_TOKEN_TTL_DAYS,
    requireEmailVerification: config.REQUIRE_EMAIL_VERIFICATION,
    claimAddress,
    checkPassword,
    purgeReadModels: (userId) => reads.purgeUser(userId),
    removeTombstone: (userId) => tombstones.remove(userId),
    logger,
  });
  const unverified = context.add(
    createUnverifiedAccounts({
      accounts,
      ttlMs: config.UNVERIFIED_ACCOUNT_TTL,
      intervalMs: overrides.unverifiedSweepIntervalMs ?? 60_000,
      logger,
    }),
  );
  unverified.start();
  const emails = createEmailFlows({
    store,
    links: accountLinks,
    checkPassword,
    claimAddress,
    accountEmailLimit: limit('account-email', ACCOUNT_EMAILS_PER_USER_HOUR, 'account emails'),
  });
  const passwords = createPasswordFlows({
    users,
    store,
    links: accountLinks,
    hasher,
    limiter,
    checkPassword,
    resetsPerEmail: limit('reset-email', RESETS_PER_EMAIL_HOUR, 'requestPasswordReset'),
    resetsPerIp: limit('reset-ip', RESETS_PER_IP_HOUR, 'requestPasswordReset'),
  });

  const projector = await startProjector(messaging, {
    models,
    memory,
    retentionDays: config.PRICE_HISTORY_RETENTION_DAYS,
    lingerMs: config.READ_MODEL_LINGER_MS,
    liveUsers: async (ids) =>
      new Set(
        (
          await users.find({ _id: { $in: ids }, deletedAt: { $exists: false } }, { _id: 1 }).lean()
        ).map((u) => u._id),
      ),
  });
  context.add({ name: 'read-models', stop: () => projector.stop() });
  const live = await startLiveFeed(messaging, {
    instanceId,
    memory,
    listeners: [
      (event) => {
        hub.publish(event);
      },
    ],
  });
  context.add({ name: 'live-feed', stop: () => live.stop() });

  // The registry is the process's and outlives this gateway (tests start several): the
  // sources go when the database connection they read goes.
  context.add({
    name: 'metric-sources',
    stop: () => {
      delete gaugeSources.users;
      delete gaugeSources.outboxLagSeconds;
      return Promise.resolve();
    },
  });
  gaugeSources.users = async () =>
    (await users.estimatedDocumentCount()) -
    (await users.countDocuments({ deletedAt: { $exists: true } }));
  gaugeSources.outboxLagSeconds = async () => {
    const oldest = await users
      .findOne({ outboxPendingSince: { $exists: true } }, { outboxPendingSince: 1 })
      .sort({ outboxPendingSince: 1 })
      .lean();
    const since = oldest?.outboxPendingSince;
    return since ? (Date.now() - since.getTime()) / 1000 : 0;
  };

  const services: GatewayServices = {
    store,
    accounts,
    reads,
    version: GATEWAY_VERSION,
    ready: () => messaging.ready() && mongo.ready?.() !== false,
    live: hub,
    emails,
    passwords,
    testNotificationLimit: limit(
      'test-notification',
      TEST_NOTIFICATIONS_PER_HOUR,
      'sendTestNotification',
    ),
  };
  const schema = gatewaySchema();
  const apollo = createApollo({
    schema,
    logger,
    production,
    introspection: config.GRAPHQL_INTROSPECTION,
  });
  await apollo.start();
  const bundle = await ensureGraphiqlBundle();
  if (bundle.built) logger.info({ dir: bundle.dir }, 'GraphiQL bundled');
  const app = createApp({
    apollo,
    tokens,
    services,
    trustProxy: config.TRUST_PROXY,
    graphiql: graphiqlRoutes(bundle.dir),
    routers: [
      unsubscribeRouter({ links, store, logger }),
      accountPagesRouter({ links: accountLinks, emails, passwords }),
    ],
  });
  const http = context.add(
    await listenHttp({ app, apollo, host: config.GATEWAY_HOST, port: config.GATEWAY_PORT }),
  );
  const wsServer = context.add(
    startLiveServer({
      server: http.server,
      app,
      schema,
      tokens,
      services,
      production,
      logger,
      limits: {
        subscriptionsPerConnection: config.LIVE_MAX_SUBSCRIPTIONS,
        connectionsPerUser: config.LIVE_CONNECTIONS_PER_USER,
        connectionsPerIp: config.LIVE_CONNECTIONS_PER_IP,
        maxLagMs: config.LIVE_MAX_LAG_SECONDS * 1000,
        maxPending: 1_000,
        maxBufferedBytes: 1024 * 1024,
        closeGraceMs: 2_000,
        keepAliveMs: 12_000,
        ...overrides.live,
      },
    }),
  );
  logger.info(
    { url: `${http.url}/graphql`, publicUrl: config.PUBLIC_BASE_URL, instanceId },
    'GraphQL gateway listening',
  );
  return { http, services, instanceId, live: wsServer };
}
