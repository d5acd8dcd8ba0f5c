import { describeEntryPoint, useTestBackends } from '@tickwatch/infra/testing';

describe('gateway process', () => {
  const backends = useTestBackends('gateway-main');

  describeEntryPoint({
    entry: new URL('./main.ts', import.meta.url),
    // Apollo, express and GraphQL take a few seconds to import on a busy machine.
    startTimeoutMs: 30_000,
    validEnv: () => ({
      GATEWAY_OPS_PORT: '0',
      GATEWAY_PORT: '0',
      LOG_LEVEL: 'info',
      MONGO_URL: backends.mongo.uri,
      RABBITMQ_URL: backends.vhost.url,
    }),
    invalidEnv: {
      GATEWAY_OPS_PORT: 'http',
      LOG_LEVEL: 'loud',
      GATEWAY_PORT: '-1',
      AUTH_TOKEN_KEY: 'short',
      PUBLIC_BASE_URL: 'ftp://example.com',
    },
    badVariables: [
      'GATEWAY_OPS_PORT',
      'LOG_LEVEL',
      'GATEWAY_PORT',
      'AUTH_TOKEN_KEY',
      'PUBLIC_BASE_URL',
    ],
  });
});
