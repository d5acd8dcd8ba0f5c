/**
 * The embedded MongoDB server (DESIGN.md §6): a TCP server speaking the MongoDB wire protocol,
 * so services and tests use the real `mongodb` driver and mongoose exactly as against mongod.
 *
 *   const mongo = await startEmbeddedMongo({ dataDir: 'var/mongo' });
 *   await mongoose.connect(mongo.uri, { dbName: 'tickwatch_gateway' });
 *   ...
 *   await mongo.stop();
 *
 * In memory unless `dataDir` is given; then every change is journaled before its reply and
 * compacted into snapshots (persistence/). It has no authentication, so it binds 127.0.0.1
 * unless another host is asked for. README.md says what is and is not supported.
 */
import type { Logger } from 'pino';
import { createLogger } from '../../log.ts';
import { Catalog } from './engine/catalog.ts';
import { CursorRegistry } from './query/cursor-registry.ts';
import type { ServerState } from './commands/context.ts';
import { inMemory, type Durability } from './server/durability.ts';
import { listen } from './server/tcp-server.ts';
import { InboundBudget } from './server/inbound-budget.ts';
import { openStore, type Store } from './persistence/store.ts';
import { startTtlSweeper } from './engine/ttl-sweeper.ts';
import { protectAgainstRegexBacktracking } from './query/regex.ts';
import { watchServer } from './metrics.ts';

export interface EmbeddedMongoOptions {
  /** TCP port; 0 (the default) picks a free one, reported in `port` and `uri`. */
  readonly port?: number;
  /** Address to bind; 127.0.0.1 by default because there is no authentication. */
  readonly host?: string;
  /** Directory for the journal and snapshots; absent means in memory only. */
  readonly dataDir?: string;
  /** How often expired TTL-indexed documents are deleted (ms); mongod's default is 60 s. */
  readonly ttlSweepIntervalMs?: number;
  /**
   * Journal size (bytes) after which it is compacted into a snapshot whatever the data size;
   * 64 MiB by default. It is compacted earlier once it holds twice the live data (past 1 MiB).
   */
  readonly compactAfterBytes?: number;
  /** Open connections accepted at once; more are closed as they arrive (mongod: maxIncomingConnections). */
  readonly maxIncomingConnections?: number;
  /** A message must arrive whole within this many ms of its first byte; 30 s by default. */
  readonly messageTimeoutMs?: number;
  /** Bytes of incoming messages held at once across all connections; 256 MiB by default. */
  readonly maxInboundBytes?: number;
  readonly logger?: Logger;
}

export interface EmbeddedMongo {
  /** `mongodb://host:port`, ready for `MongoClient` or `mongoose.connect`. */
  readonly uri: string;
  readonly host: string;
  readonly port: number;
  /**
   * Stops accepting, closes connections, flushes and closes the journal. Idempotent. Rejects
   * when the journal could not be written or fsynced (then the data on disk may lack changes
   * that were acknowledged).
   */
  stop(): Promise<void>;
  /**
   * Writes a snapshot of the data now and drops the journals it covers, as it does on its own
   * once the journal outweighs the data: for a moment of the caller's choosing (a benchmark
   * before its clock, an operator before a backup). Nothing to do without a data directory.
   */
  compact(): Promise<void>;
}

export async function startEmbeddedMongo(
  options: EmbeddedMongoOptions = {},
): Promise<EmbeddedMongo> {
  const {
    port = 0,
    host = '127.0.0.1',
    dataDir,
    ttlSweepIntervalMs = 60_000,
    compactAfterBytes = 64 * 2 ** 20,
    maxIncomingConnections = 10_000,
    messageTimeoutMs = 30_000,
    maxInboundBytes = 256 * 2 ** 20,
    logger = createLogger({ name: 'mongo-embedded' }),
  } = options;
  protectAgainstRegexBacktracking();
  const catalog = new Catalog();
  let store: Store | undefined;
  let durability: Durability = inMemory;
  if (dataDir) {
    store = await openStore({ dir: dataDir, catalog, compactAfterBytes, logger });
    durability = store;
  }
  const cursors = new CursorRegistry();
  catalog.onDrop((collection) => {
    cursors.collectionDropped(collection.namespace, collection.uuid.toHexString());
  });
  let address = `${host}:${String(port)}`;
  const state: ServerState = {
    catalog,
    cursors,
    startedAt: new Date(),
    durable: store !== undefined,
    logger,
    address: () => address,
    metrics: { scanned: 0, scannedObjects: 0 },
  };
  let listening;
  try {
    listening = await listen({
      host,
      port,
      state,
      durability,
      limits: { budget: new InboundBudget(maxInboundBytes), messageTimeoutMs },
      maxIncomingConnections,
    });
  } catch (error) {
    await store?.close();
    throw error;
  }
  address = `${host.includes(':') ? `[${host}]` : host}:${String(listening.port)}`;
  const sweeper = startTtlSweeper({ catalog, intervalMs: ttlSweepIntervalMs, logger });
  const reaper = setInterval(() => cursors.reapIdle(), 60_000).unref();
  const unwatch = watchServer({
    connections: listening.connections,
    openCursors: () => cursors.size,
    journalBytes: () => store?.journalBytes ?? 0,
  });
  const uri = `mongodb://${address}`;
  logger.info({ uri, dataDir: dataDir ?? null }, `embedded MongoDB listening on ${uri}`);

  let stopping: Promise<void> | undefined;
  return {
    uri,
    host,
    port: listening.port,
    compact: () => store?.compact() ?? Promise.resolve(),
    stop: () =>
      (stopping ??= (async () => {
        sweeper.stop();
        clearInterval(reaper);
        unwatch();
        await listening.close();
        cursors.clear();
        // A failed final journal write or fsync rejects: acknowledged changes may be missing.
        await store?.close();
        logger.info({ uri }, 'embedded MongoDB stopped');
      })()),
  };
}
