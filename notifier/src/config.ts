/** The notifier's configuration: every variable, its default and purpose (see README "Configuration"). */
import { env, setting } from '@tickwatch/infra/config';
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
import addressparser from 'nodemailer/lib/addressparser';

/** `Name <address@domain>` or a bare address: exactly one mailbox with a domain. */
const mailbox = () =>
  env.string().refine(
    (value) => {
      const parsed = addressparser(value, { flatten: true });
      return parsed.length === 1 && /^[^@\s]+@[^@\s]+$/.test(parsed[0]?.address ?? '');
    },
    { message: 'expected one address, e.g. "tickwatch <alerts@example.com>"' },
  );

export const settings = {
  LOG_LEVEL: logLevelSetting,
  OPS_HOST: opsHostSetting,
  NOTIFIER_OPS_PORT: opsPortSetting('notifier', 9103),
  RABBITMQ_URL: rabbitmqUrlSetting,
  RABBITMQ_RECONNECT_MAX: rabbitmqReconnectMaxSetting,
  MONGO_URL: mongoUrlSetting,
  PUBLIC_BASE_URL: publicBaseUrlSetting,
  LINK_SIGNING_KEY: linkSigningKeySetting,
  SMTP_URL: setting(
    env.url(['smtp', 'smtps']),
    'SMTP server alerts are sent through: smtp://[user:password@]host:port (STARTTLS when offered), smtps:// for implicit TLS',
    { default: 'smtp://127.0.0.1:1025', secret: true },
  ),
  SMTP_POOL_SIZE: setting(env.int(1, 100), 'SMTP connections kept open and reused at most', {
    default: '5',
  }),
  SMTP_REQUIRE_TLS: setting(
    env.boolean(),
    'Refuse to send over smtp:// unless the server upgrades the connection with STARTTLS',
    { default: 'false' },
  ),
  SMTP_TLS_REJECT_UNAUTHORIZED: setting(
    env.boolean(),
    "Verify the SMTP server's TLS certificate (turn off only for a self-signed test server)",
    { default: 'true' },
  ),
  SMTP_TIMEOUT_MS: setting(
    env.int(1_000, 60_000),
    'Limit for connecting, the greeting and each silence of the SMTP server, ms',
    { default: '15000' },
  ),
  MAIL_FROM: setting(mailbox(), 'From address of every email', {
    default: 'tickwatch <alerts@tickwatch.localhost>',
  }),
  WEBHOOK_TIMEOUT_MS: setting(
    env.int(500, 60_000),
    'Time a webhook receiver has to connect and answer, ms',
    { default: '10000' },
  ),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: setting(
    env.boolean(),
    'Allow webhook URLs that resolve to loopback, private, link-local or other non-public addresses',
    { default: 'false' },
  ),
  NOTIFIER_CONCURRENCY: setting(
    env.int(1, 1_000),
    'Deliveries in progress at once (the prefetch of notifier.deliveries)',
    { default: '20' },
  ),
  DEFAULT_MAX_ALERTS_PER_HOUR: setting(
    env.int(1, 1_000),
    'Notifications per user, channel and hour before the rest wait for a digest, until the user sets a cap',
    { default: '20' },
  ),
};
