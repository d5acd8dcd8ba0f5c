/** Settings every service process shares: logging, its operations HTTP server, the broker, MongoDB. */
import { ConnectionString } from 'mongodb-connection-string-url';
import { z } from 'zod';
import { env, setting } from './config.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const logLevelSetting = setting(env.oneOf(LOG_LEVELS), 'Log level (JSON lines on stdout)', {
  default: 'info',
});

/** Address of the /healthz /readyz /metrics server: 0.0.0.0 in containers, loopback otherwise. */
export const opsHostSetting = setting(
  env.string(),
  'Address the operations server (/healthz, /readyz, /metrics) binds',
  { default: '127.0.0.1' },
);

export function opsPortSetting(service: string, defaultPort: number) {
  return setting(env.port(), `Port of the ${service}'s operations server (0 = any free port)`, {
    default: String(defaultPort),
  });
}

/** The broker every service talks through; the guest account only works from localhost. */
export const rabbitmqUrlSetting = setting(
  env.url(['amqp', 'amqps']),
  'RabbitMQ URL (amqp[s]://user:password@host:port/vhost)',
  { default: 'amqp://guest:guest@127.0.0.1:5672', secret: true },
);

/**
 * The longest wait between two attempts to reach the broker (the reconnect backoff's cap): after
 * an outage of any length a service is ready again at most about this long after the broker.
 * Lower reconnects sooner and knocks harder on a broker that is still down.
 */
export const rabbitmqReconnectMaxSetting = setting(
  env.duration(250, 300_000),
  'Longest wait between two attempts to reach RabbitMQ (backoff cap): a service is ready again at most about this long after the broker returns',
  { default: '5s' },
);

/** A MongoDB connection string, parsed as the driver parses it (several hosts for a replica set). */
const mongoConnectionString = z.string().refine(
  (value) => {
    try {
      new ConnectionString(value);
      return true;
    } catch {
      return false;
    }
  },
  {
    message:
      'expected mongodb://[user:password@]host[:port][,host[:port]...][/db][?options] (or mongodb+srv://)',
  },
);

/** The MongoDB server; each service uses its own database on it (tickwatch_<service>). */
export const mongoUrlSetting = setting(
  mongoConnectionString,
  'MongoDB URL; each service uses its own database tickwatch_<service> on it',
  { default: 'mongodb://127.0.0.1:27017' },
);

/** Where users reach the gateway: every link in an email starts with it. */
export const publicBaseUrlSetting = setting(
  env.url(['http', 'https']),
  'Public URL of the gateway, the base of every link in emails (GraphiQL, unsubscribe, verification)',
  { default: 'http://127.0.0.1:4000' },
);
