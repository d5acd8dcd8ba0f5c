/**
 * An outbox relay in its own process, for the kill test: it flushes one document and, after the
 * first publish is confirmed and before the entry is removed, prints `published <id>` and
 * waits to be killed.
 */
import mongoose from 'mongoose';
import { createLogger } from '../../log.ts';
import { createOutboxRelay } from '../outbox/relay.ts';
import { accountModel } from './outbox-model.ts';
import { testMessaging } from './fixtures.ts';

const [mongoUri, dbName, amqpUrl, documentId] = process.argv.slice(2);
if (!mongoUri || !dbName || !amqpUrl || !documentId) {
  throw new Error('usage: outbox-relay-child.ts <mongo uri> <db> <amqp url> <document id>');
}
const connection = await mongoose.createConnection(mongoUri, { dbName }).asPromise();
const messaging = testMessaging(amqpUrl, { service: 'test-outbox-child' });
await messaging.start();
const relay = createOutboxRelay({
  model: accountModel(connection),
  messaging,
  logger: createLogger({ name: 'test-outbox-child', level: 'silent' }),
  leaseMs: 1_000,
  afterPublish: async (entry) => {
    process.stdout.write(`published ${entry.id}\n`);
    await new Promise<never>(() => {});
  },
});
await relay.flush(documentId);
