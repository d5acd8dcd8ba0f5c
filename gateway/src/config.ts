/** The gateway's configuration: every variable, its default and purpose (see README "Configuration"). */
import { env, setting, type ConfigOf } from '@tickwatch/infra/config';
import {
  logLevelSetting,
  mongoUrlSetting,
  opsHostSetting,
  opsPortSetting,
  publicBaseUrlSetting,
  rabbitmqReconnectMaxSetting,
  rabbitmqUrlSetting,
} from '@tickwatch/infra/service-settings';
import { linkSigningKeySetting } from '@tickwatch/infra/signed-links';
import { z } from 'zod';

/** The development default of AUTH_TOKEN_KEY; `loadConfig` refuses it when NODE_ENV=production. */
export const DEVELOPMENT_TOKEN_KEY = 'development-only-access-token-key-change-me';

export const settings = {
  LOG_LEVEL: logLevelSetting,
  OPS_HOST: opsHostSetting,
  GATEWAY_OPS_PORT: opsPortSetting('gateway', 9100),
  GATEWAY_HOST: setting(
    env.string(),
    'Address the GraphQL server (HTTP, GraphiQL, unsubscribe links) binds',
    { default: '127.0.0.1' },
  ),
  GATEWAY_PORT: setting(env.port(), 'Port of the GraphQL server (0 = any free port)', {
    default: '4000',
  }),
  RABBITMQ_URL: rabbitmqUrlSetting,
  RABBITMQ_RECONNECT_MAX: rabbitmqReconnectMaxSetting,
  MONGO_URL: mongoUrlSetting,
  PUBLIC_BASE_URL: publicBaseUrlSetting,
  LINK_SIGNING_KEY: linkSigningKeySetting,
  AUTH_TOKEN_KEY: setting(
    z.string().min(32, 'must be at least 32 characters (HMAC-SHA256 key)'),
    'Key signing the gateway access tokens (JWT, HS256)',
    { default: DEVELOPMENT_TOKEN_KEY, secret: true },
  ),
  ACCESS_TOKEN_TTL_SECONDS: setting(
    env.int(60, 24 * 3600),
    'Lifetime of an access token, seconds',
    {
      default: '900',
    },
  ),
  REFRESH_TOKEN_TTL_DAYS: setting(
    env.int(1, 365),
    'Lifetime of a refresh token (a session), days',
    {
      default: '30',
    },
  ),
  PASSWORD_HASH_COST: setting(
    env.int(14, 20),
    'scrypt cost as log2(N) (15: N = 32768, r = 8, p = 1, about 50-100 ms per hash)',
    { default: '15' },
  ),
  REGISTRATIONS_PER_IP_HOUR: setting(
    env.int(1, 1_000_000),
    'Accounts one client address may register per hour',
    { default: '20' },
  ),
  REQUIRE_EMAIL_VERIFICATION: setting(
    env.boolean(),
    'Registration emails a verification link, and alerts reach an address only once it is followed (false: addresses count as verified at once)',
    { default: 'true' },
  ),
  UNVERIFIED_ACCOUNT_TTL: setting(
    env.duration(1_000, 365 * 24 * 3_600_000),
    'An account that has not verified its address this long after registering is deleted, and stops waiting for the address',
    { default: '168h' },
  ),
  GRAPHQL_INTROSPECTION: setting(
    env.boolean(),
    'Answer introspection queries (GraphiQL needs it for documentation and completion)',
    { default: 'true' },
  ),
  TRUST_PROXY: setting(
    env.string(),
    'Express trust proxy setting, for the client address behind a load balancer (false, loopback, a hop count...)',
    { default: 'false' },
  ),
  PRICE_HISTORY_RETENTION_DAYS: setting(
    env.int(1, 3650),
    'How long per-minute and daily price buckets are kept (TTL), days',
    { default: '90' },
  ),
  READ_MODEL_LINGER_MS: setting(
    env.int(0, 1_000),
    'How long the read models gather events for one database write under light load, ms',
    { default: '50' },
  ),
  LIVE_MAX_SUBSCRIPTIONS: setting(
    env.int(1, 1_000),
    'Subscriptions one graphql-ws connection may hold at once',
    { default: '20' },
  ),
  LIVE_CONNECTIONS_PER_USER: setting(
    env.int(1, 10_000),
    'graphql-ws connections one user may hold on one gateway process',
    { default: '10' },
  ),
  LIVE_CONNECTIONS_PER_IP: setting(
    env.int(1, 1_000_000),
    'graphql-ws connections from one client address per gateway process (see TRUST_PROXY)',
    { default: '200' },
  ),
  INTEREST_LEASE: setting(
    env.duration(1_000, 24 * 3_600_000),
    'Interest lease of a live subscription: renewed every quarter of it while subscribed, it runs out this long after the last subscriber left',
    { default: '10m' },
  ),
  LIVE_MAX_LAG_SECONDS: setting(
    env.int(1, 3_600),
    'A subscriber whose oldest unsent update is older than this is closed as slow (4008), seconds',
    { default: '10' },
  ),
};

export type GatewayConfig = ConfigOf<typeof settings>;
