import { createLogger } from '@tickwatch/infra/log';
import { createTestVhost, type TestVhost } from '@tickwatch/infra/messaging/testing';
import { startEmbeddedMongo, type EmbeddedMongo } from '@tickwatch/infra/mongo/embedded';
import { describeEntryPoint } from '@tickwatch/infra/testing';

describe('gateway process', () => {
  let mongo: EmbeddedMongo;
  let vhost: TestVhost;
  before(async () => {
    mongo = await startEmbeddedMongo({ logger: createLogger({ name: 'mongo', level: 'silent' }) });
    vhost = await createTestVhost('gateway-main');
  });
  after(async () => {
    await vhost.delete();
    await mongo.stop();
  });

  describeEntryPoint({
    entry: new URL('./main.ts', import.meta.url),
    // Apollo, express and GraphQL take a few seconds to import on a busy machine.
    startTimeoutMs: 30_000,
    validEnv: () => ({
      GATEWAY_OPS_PORT: '0',
      GATEWAY_PORT: '0',
      LOG_LEVEL: 'info',
      MONGO_URL: mongo.uri,
      RABBITMQ_URL: vhost.url,
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
