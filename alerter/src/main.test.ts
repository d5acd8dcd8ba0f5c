import { describeEntryPoint, useTestBackends } from '@tickwatch/infra/testing';

describe('alerter process', () => {
  const backends = useTestBackends('alerter-main');

  describeEntryPoint({
    entry: new URL('./main.ts', import.meta.url),
    validEnv: () => ({
      ALERTER_OPS_PORT: '0',
      LOG_LEVEL: 'info',
      MONGO_URL: backends.mongo.uri,
      RABBITMQ_URL: backends.vhost.url,
    }),
    invalidEnv: {
      ALERTER_OPS_PORT: 'http',
      LOG_LEVEL: 'loud',
      ALERTER_PARTITIONS: '3-99',
    },
    badVariables: ['ALERTER_OPS_PORT', 'LOG_LEVEL', 'ALERTER_PARTITIONS'],
  });
});
