import { createLogger } from '@tickwatch/infra/log';
import { createTestVhost, type TestVhost } from '@tickwatch/infra/messaging/testing';
import { startEmbeddedMongo, type EmbeddedMongo } from '@tickwatch/infra/mongo/embedded';
import { describeEntryPoint } from '@tickwatch/infra/testing';

describe('notifier process', () => {
  let mongo: EmbeddedMongo;
  let vhost: TestVhost;
  before(async () => {
    mongo = await startEmbeddedMongo({
      port: 0,
      logger: createLogger({ name: 'mongo', level: 'silent' }),
    });
    vhost = await createTestVhost('notifier-main');
  });
  after(async () => {
    await vhost.delete();
    await mongo.stop();
  });

  describeEntryPoint({
    entry: new URL('./main.ts', import.meta.url),
    // No SMTP server listens on port 9: the notifier still starts and is ready (mail waits).
    validEnv: () => ({
      NOTIFIER_OPS_PORT: '0',
      LOG_LEVEL: 'info',
      MONGO_URL: mongo.uri,
      RABBITMQ_URL: vhost.url,
      SMTP_URL: 'smtp://127.0.0.1:9',
    }),
    invalidEnv: {
      NOTIFIER_OPS_PORT: 'http',
      LOG_LEVEL: 'loud',
      SMTP_URL: 'http://mail.example.com',
      MAIL_FROM: 'not an address',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'maybe',
    },
    badVariables: [
      'NOTIFIER_OPS_PORT',
      'LOG_LEVEL',
      'SMTP_URL',
      'MAIL_FROM',
      'WEBHOOK_ALLOW_PRIVATE_TARGETS',
    ],
  });
});
