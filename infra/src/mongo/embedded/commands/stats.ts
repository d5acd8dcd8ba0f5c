/** collStats and dbStats: sizes are BSON byte counts (there is no storage engine to ask). */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { targetCollection } from './args.ts';
import { dataSize } from './collections.ts';
import type { CommandContext, CommandHandler } from './context.ts';

function collStats(command: Document, context: CommandContext): Document {
  const name = targetCollection(command, context.db);
  const collection = context.server.catalog.collection(context.db, name);
  if (!collection) throw fail('NamespaceNotFound', `Collection [${context.db}.${name}] not found.`);
  const size = dataSize(collection.docs.values());
  const count = collection.docs.size;
  const indexes = collection.indexSpecs();
  return {
    ns: collection.namespace,
    count,
    size,
    avgObjSize: count > 0 ? Math.round(size / count) : 0,
    storageSize: size,
    nindexes: indexes.length,
    indexSizes: Object.fromEntries(indexes.map((spec) => [spec.name, 0])),
    totalIndexSize: 0,
    capped: false,
    ok: 1,
  };
}

function dbStats(_command: Document, context: CommandContext): Document {
  const collections = context.server.catalog.collections(context.db);
  const objects = collections.reduce((sum, c) => sum + c.docs.size, 0);
  const size = collections.reduce((sum, c) => sum + dataSize(c.docs.values()), 0);
  return {
    db: context.db,
    collections: collections.length,
    views: 0,
    objects,
    avgObjSize: objects > 0 ? size / objects : 0,
    dataSize: size,
    storageSize: size,
    indexes: collections.reduce((sum, c) => sum + c.indexSpecs().length, 0),
    indexSize: 0,
    ok: 1,
  };
}

export const statsCommands: Readonly<Record<string, CommandHandler>> = { collStats, dbStats };
