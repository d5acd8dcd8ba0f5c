/**
 * A gateway for tests: the real thing in this process (HTTP on a free loopback port), on the
 * embedded MongoDB and a vhost of its own on the real RabbitMQ, plus an observer that records
 * every event the gateway publishes, as the collector and the notifier would receive them.
 */
import { randomBytes } from 'node:crypto';
import { EventType, QUEUES, type TickwatchEvent } from '@tickwatch/contracts';
import { loadConfig } from '@tickwatch/infra/config';
import { createLogger } from '@tickwatch/infra/log';
import type { DeliveryContext, Handlers, Messaging } from '@tickwatch/infra/messaging';
import {
  createTestVhost,
  startFaultProxy,
  testMessaging,
  testTopology,
  type FaultProxy,
  type TestVhost,
} from '@tickwatch/infra/messaging/testing';
import { startEmbeddedMongo, type EmbeddedMongo } from '@tickwatch/infra/mongo/embedded';
import { startService, type RunningService } from '@tickwatch/infra/service';
import { pollUntil } from '@tickwatch/infra/testing';
import mongoose from 'mongoose';
import { settings, type GatewayConfig } from '../config.ts';
import { startGateway, type Gateway, type GatewayOverrides } from '../gateway.ts';

const silent = createLogger({ name: 'test-gateway', level: 'silent' });

export interface GraphQLResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly data?: T | null;
  readonly errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}

export interface Observed {
  readonly event: TickwatchEvent;
  readonly routingKey: string;
  readonly queue: string;
}

export interface TestGateway {
  readonly url: string;
  /** The operations server (`/metrics`, health). */
  readonly opsUrl: string;
  readonly gateway: Gateway;
  readonly config: GatewayConfig;
  readonly vhost: TestVhost;
  /** Between the gateway and the broker when started with `faultProxy` (cut, refuse, resume). */
  readonly proxy: FaultProxy | undefined;
  readonly mongo: EmbeddedMongo;
  /** A connection to the gateway's database, to look at what it wrote. */
  readonly db: mongoose.Connection;
  /** Publishes on the gateway's vhost (what the collector, alerter, notifier would). */
  readonly messaging: Messaging;
  /** Every event the gateway published, as the collector and the notifier queues got them. */
  readonly observed: Observed[];
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  /** Registers a new user with a unique email; returns its tokens and id. */
  register(label?: string): Promise<TestUser>;
  eventsOf(type: string, filter?: (event: TickwatchEvent) => boolean): Observed[];
  waitForEvent(
    type: string,
    filter: (event: TickwatchEvent) => boolean,
    description?: string,
  ): Promise<Observed>;
  /** Stops the gateway and starts it again on the same port, database and vhost. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly password: string;
  readonly accessToken: string;
  readonly refreshToken: string;
}

export const TEST_PASSWORD = 'correct horse battery staple';
let users = 0;

export async function startTestGateway(
  options: {
    env?: Record<string, string>;
    overrides?: GatewayOverrides;
    faultProxy?: boolean;
  } = {},
): Promise<TestGateway> {
  const mongo = await startEmbeddedMongo({ port: 0, ttlSweepIntervalMs: 100, logger: silent });
  const vhost = await createTestVhost('gateway');
  const dbName = `tickwatch_gateway_${randomBytes(3).toString('hex')}`;
  const proxy = options.faultProxy
    ? await startFaultProxy({ host: '127.0.0.1', port: 5672 })
    : undefined;
  const config = loadConfig(settings, {
    GATEWAY_PORT: '0',
    GATEWAY_OPS_PORT: '0',
    MONGO_URL: mongo.uri,
    RABBITMQ_URL: proxy ? vhost.urlVia(proxy.port) : vhost.url,
    PASSWORD_HASH_COST: '14',
    ...options.env,
  });
  const observed: Observed[] = [];
  const observer = testMessaging(vhost.url);
  await observer.start();
  const record = (queue: string) => (event: TickwatchEvent, context: DeliveryContext) => {
    observed.push({ event, routingKey: context.routingKey, queue });
    return Promise.resolve();
  };
  const all = (queue: string, types: readonly string[]): Handlers =>
    Object.fromEntries(types.map((type) => [type, record(queue)]));
  await observer.consume(
    QUEUES.collectorWatchlist,
    all(QUEUES.collectorWatchlist, [
      EventType.ruleCreated,
      EventType.ruleUpdated,
      EventType.ruleDeleted,
      EventType.watchAdded,
      EventType.watchRemoved,
      EventType.interestRenewed,
      EventType.userDeleted,
    ]),
  );
  await observer.consume(
    QUEUES.notifierDeliveries,
    all(QUEUES.notifierDeliveries, [
      EventType.userRegistered,
      EventType.userPreferencesChanged,
      EventType.userDeleted,
      EventType.notificationRequested,
      EventType.alertTriggered,
      EventType.accountVerificationRequested,
      EventType.accountPasswordResetRequested,
      EventType.accountEmailChangeRequested,
      EventType.accountRegistrationAttempted,
    ]),
  );

  let gateway: Gateway | undefined;
  const launch = (gatewayConfig: GatewayConfig): Promise<RunningService> =>
    startService({
      name: 'gateway',
      port: 0,
      logger: silent,
      start: async (context) => {
        gateway = await startGateway(context, gatewayConfig, {
          dbName,
          topology: testTopology(),
          messaging: {
            heartbeatSeconds: 1,
            connectTimeoutMs: 3_000,
            reconnect: { initialMs: 50, maxMs: 500 },
            publishTimeoutMs: 5_000,
            shutdownTimeoutMs: 3_000,
          },
          outboxSweepIntervalMs: 200,
          catchUpIntervalMs: 200,
          ...options.overrides,
        });
      },
    });
  let service = await launch(config);
  if (!gateway) throw new Error('gateway did not start');
  let started: Gateway = gateway;
  const url = started.http.url;
  const db = await mongoose.createConnection(mongo.uri, { dbName }).asPromise();

  const gql: TestGateway['gql'] = async (query, variables, token, headers = {}) => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Omit<GraphQLResponse, 'status' | 'headers'>;
    return {
      status: response.status,
      headers: response.headers,
      ...body,
    } as GraphQLResponse<never>;
  };

  const eventsOf: TestGateway['eventsOf'] = (type, filter = () => true) =>
    observed.filter((o) => o.event.type === type && filter(o.event));

  return {
    url,
    get opsUrl() {
      return `http://127.0.0.1:${service.port}`;
    },
    get gateway() {
      return started;
    },
    config,
    vhost,
    proxy,
    mongo,
    db,
    messaging: observer,
    observed,
    gql,
    eventsOf,
    waitForEvent: (type, filter, description = type) =>
      pollUntil(`event ${description}`, () => eventsOf(type, filter)[0]),
    async register(label = 'user') {
      users += 1;
      const email = `${label}-${users}-${randomBytes(3).toString('hex')}@example.com`;
      const result = await gql<{
        register: { accessToken: string; refreshToken: string; user: { id: string } };
      }>(
        'mutation ($email: String!, $password: String!) { register(email: $email, password: $password) { accessToken refreshToken user { id } } }',
        { email, password: TEST_PASSWORD },
      );
      if (!result.data?.register)
        throw new Error(`register failed: ${JSON.stringify(result.errors)}`);
      const { accessToken, refreshToken, user } = result.data.register;
      return { id: user.id, email, password: TEST_PASSWORD, accessToken, refreshToken };
    },
    async restart() {
      await service.stop('restart');
      service = await launch({ ...config, GATEWAY_PORT: started.http.port });
      if (!gateway) throw new Error('gateway did not start');
      started = gateway;
    },
    async stop() {
      await service.stop('test over');
      await proxy?.close();
      await observer.close();
      await db.close();
      await vhost.delete();
      await mongo.stop();
    },
  };
}
