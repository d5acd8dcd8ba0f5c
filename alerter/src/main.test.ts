import { createLogger } from '@tickwatch/infra/log';
import { createTestVhost, type TestVhost } from '@tickwatch/infra/messaging/testing';
import { startEmbeddedMongo, type EmbeddedMongo } from '@tickwatch/infra/mongo/embedded';
import { describeEntryPoint } from '@tickwatch/infra/testing';

describe('alerter process', () => {
  let mongo: EmbeddedMongo;
  let vhost: TestVhost;
  before(async () => {
    mongo = await startEmbeddedMongo({
      port: 0,
      logger: createLogger({ name: 'mongo', level: 'silent' }),
    });
    vhost = await createTestVhost('alerter-main');
  });
  after(async () => {
    await vhost.delete();
    await mongo.stop();
  });

  describeEntryPoint({
    entry: new URL('./main.ts', import.meta.url),
    validEnv: () => ({
      ALERTER_OPS_PORT: '0',
      LOG_LEVEL: 'info',
      MONGO_URL: mongo.uri,
      RABBITMQ_URL: vhost.url,
    }),
    invalidEnv: {
      ALERTER_OPS_PORT: 'http',
      LOG_LEVEL: 'loud',
      ALERTER_PARTITIONS: '3-99',
    },
    badVariables: ['ALERTER_OPS_PORT', 'LOG_LEVEL', 'ALERTER_PARTITIONS'],
  });
});
