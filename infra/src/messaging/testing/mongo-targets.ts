/**
 * MongoDB for the outbox and idempotency suites: the embedded server always, and a real
 * MongoDB too when MONGO_URL is set (DESIGN.md §6), each suite in its own database, dropped
 * after it.
 */
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../mongo/embedded/index.ts';
import { createLogger } from '../../log.ts';

export interface MongoTarget {
  readonly name: string;
  /** Server URI (no database), valid inside the suite. */
  uri(): string;
  /** The suite's database name. */
  readonly dbName: string;
  /** A mongoose connection to the suite's database. */
  connection(): mongoose.Connection;
}

export function describeOnMongoTargets(title: string, suite: (target: MongoTarget) => void): void {
  const kinds: { name: string; url?: string }[] = [{ name: 'embedded' }];
  if (process.env.MONGO_URL) kinds.push({ name: 'MONGO_URL', url: process.env.MONGO_URL });
  for (const kind of kinds) {
    describe(`${title} [${kind.name}]`, function () {
      let server: EmbeddedMongo | undefined;
      let uri = '';
      let connection: mongoose.Connection | undefined;
      const dbName = `tickwatch_test_${randomBytes(4).toString('hex')}`;

      before(async () => {
        if (kind.url) uri = kind.url;
        else {
          server = await startEmbeddedMongo({
            port: 0,
            ttlSweepIntervalMs: 100,
            logger: createLogger({ name: 'mongo-embedded', level: 'silent' }),
          });
          uri = server.uri;
        }
        connection = await mongoose.createConnection(uri, { dbName }).asPromise();
      });
      after(async () => {
        await connection?.dropDatabase();
        await connection?.close();
        await server?.stop();
      });

      suite({
        name: kind.name,
        dbName,
        uri: () => uri,
        connection: () => {
          if (!connection) throw new Error('mongo target used outside its suite');
          return connection;
        },
      });
    });
  }
}
