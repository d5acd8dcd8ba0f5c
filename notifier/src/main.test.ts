import { describeEntryPoint, useTestBackends } from '@tickwatch/infra/testing';

describe('notifier process', () => {
  const backends = useTestBackends('notifier-main');

  describeEntryPoint({
    entry: new URL('./main.ts', import.meta.url),
    // No SMTP server listens on port 9: the notifier still starts and is ready (mail waits).
    validEnv: () => ({
      NOTIFIER_OPS_PORT: '0',
      LOG_LEVEL: 'info',
      MONGO_URL: backends.mongo.uri,
      RABBITMQ_URL: backends.vhost.url,
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
