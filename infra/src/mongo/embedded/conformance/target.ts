/**
 * Where the conformance suite runs: always against an embedded server it starts itself, and
 * also against a real MongoDB when MONGO_URL is set (`npm run test:mongo`), so any difference
 * between the two shows up as a failing test where a real server exists.
 *
 * Each test gets its own database (`database()`), dropped after the test, so tests neither see
 * nor clean up after each other, and a shared real server is left as it was.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import {
  MongoClient,
  MongoServerError,
  type Collection,
  type Db,
  type Document,
  type ObjectId,
} from 'mongodb';
import mongoose from 'mongoose';
import { startEmbeddedMongo, type EmbeddedMongo } from '../index.ts';

/** Test documents: any fields, any `_id` type (the specs use numbers and strings). */
export interface Loose extends Document {
  _id?: number | string | ObjectId;
}

export interface Target {
  /** "embedded" or "MONGO_URL". */
  readonly name: string;
  /** True for the embedded server: some tests check embedded-only behaviour or known gaps. */
  readonly embedded: boolean;
  /** The connection string; valid between the suite's before and after hooks. */
  readonly uri: () => string;
  /** A client shared by the suite. */
  readonly client: () => MongoClient;
  /** A fresh database for the current test (dropped after it). */
  readonly database: () => Db;
  /** A collection of the current test's database. */
  readonly collection: (name: string) => Collection<Loose>;
  /** A mongoose connection to the current test's database. */
  readonly mongoose: () => mongoose.Connection;
}

/** Registers `suite` once per available target, with start/stop and per-test database hooks. */
export function describeOnTargets(title: string, suite: (target: Target) => void): void {
  const realUrl = process.env.MONGO_URL;
  const kinds: { name: string; url?: string }[] = [{ name: 'embedded' }];
  if (realUrl) kinds.push({ name: 'MONGO_URL', url: realUrl });
  for (const kind of kinds) {
    describe(`${title} [${kind.name}]`, function () {
      let server: EmbeddedMongo | undefined;
      let uri = '';
      let client: MongoClient | undefined;
      let base: mongoose.Connection | undefined;
      let db: Db | undefined;
      let connection: mongoose.Connection | undefined;

      before(async function () {
        if (kind.url) {
          uri = kind.url;
        } else {
          server = await startEmbeddedMongo({ port: 0, ttlSweepIntervalMs: 100 });
          uri = server.uri;
        }
        client = await new MongoClient(uri, {
          serverSelectionTimeoutMS: 5000,
          monitorCommands: true,
        }).connect();
        base = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
      });

      after(async function () {
        await base?.close();
        await client?.close();
        await server?.stop();
      });

      afterEach(async function () {
        if (db) await db.dropDatabase();
        db = undefined;
        connection = undefined;
      });

      const freshDatabase = (): Db => {
        if (!client) throw new Error('target not started');
        db ??= client.db(`cf_${randomBytes(6).toString('hex')}`);
        return db;
      };

      suite({
        name: kind.name,
        embedded: !kind.url,
        uri: () => uri,
        client: () => {
          if (!client) throw new Error('target not started');
          return client;
        },
        database: freshDatabase,
        collection: (name) => freshDatabase().collection<Loose>(name),
        mongoose: () => {
          if (!base) throw new Error('target not started');
          connection ??= base.useDb(freshDatabase().databaseName, { useCache: false });
          return connection;
        },
      });
    });
  }
}

/** The MongoServerError a promise rejects with (fails the test if it resolves or throws another). */
export async function serverError(promise: Promise<unknown>): Promise<MongoServerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a server error').to.be.instanceOf(MongoServerError);
  return error as MongoServerError;
}
