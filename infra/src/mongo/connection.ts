/**
 * A service's MongoDB connection (mongoose, DESIGN.md §6) as a lifecycle component: each
 * service connects to its own database on the shared server, `/readyz` is false while the
 * driver has no server, and stopping closes the pool.
 *
 *   const mongo = context.add(await connectMongo({ url: config.MONGO_URL, service: 'gateway' }));
 *   const User = mongo.connection.model('User', userSchema);
 */
import mongoose from 'mongoose';
import { loggableUrl } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Component } from '../service.ts';

export interface MongoConnectionOptions {
  /** `mongodb://host:port` (the embedded server or a real one). */
  readonly url: string;
  /** The service owning the database: it connects to `tickwatch_<service>`. */
  readonly service: string;
  /** Overrides the database name (tests isolate suites this way). */
  readonly dbName?: string;
  readonly logger?: Logger;
  /** How long the first connection may take before start-up fails, ms (default 10 000). */
  readonly serverSelectionTimeoutMs?: number;
}

export interface MongoConnection extends Component {
  readonly connection: mongoose.Connection;
  readonly dbName: string;
}

/** The database a service owns: no service reads another's (DESIGN.md §1). */
export const serviceDatabase = (service: string): string => `tickwatch_${service}`;

export async function connectMongo(options: MongoConnectionOptions): Promise<MongoConnection> {
  const dbName = options.dbName ?? serviceDatabase(options.service);
  const logger = options.logger?.child({ component: 'mongo' });
  const connection = mongoose.createConnection(options.url, {
    dbName,
    appName: options.service,
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 10_000,
  });
  connection.on('disconnected', () => logger?.warn('MongoDB disconnected'));
  connection.on('reconnected', () => logger?.info('MongoDB reconnected'));
  await connection.asPromise();
  logger?.info({ url: loggableUrl(options.url), dbName }, 'MongoDB connected');
  return {
    name: 'mongo',
    connection,
    dbName,
    ready: () => connection.readyState === mongoose.ConnectionStates.connected,
    stop: () => connection.close(),
  };
}
