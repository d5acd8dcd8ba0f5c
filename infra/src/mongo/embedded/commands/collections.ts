/**
 * Collection and database management: create, drop, dropDatabase, listCollections,
 * listDatabases. `create` refuses options whose behaviour is not implemented (capped,
 * validators, views, time series...) instead of creating a collection that silently ignores them.
 */
import { BSON, type Document } from 'bson';
import { fail } from '../errors.ts';
import { ID_INDEX_SPEC } from '../engine/collection.ts';
import { checkDatabaseName } from '../engine/namespace.ts';
import { identityProjector } from '../query/projection.ts';
import { compileFilter, asFilter } from '../query/matcher.ts';
import { optionalBoolean, optionalDocument, optionalInteger, targetCollection } from './args.ts';
import type { CommandContext, CommandHandler } from './context.ts';

/** Fields any command may carry that `create` must not mistake for collection options. */
const GENERIC_FIELDS = new Set([
  'create',
  'writeConcern',
  'lsid',
  '$db',
  '$readPreference',
  '$clusterTime',
  'comment',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
  'maxTimeMS',
]);
/** Collection options kept (listCollections shows them) that change nothing here. */
const HARMLESS_OPTIONS = new Set(['storageEngine', 'idIndex']);

function create(command: Document, context: CommandContext): Document {
  const name = targetCollection(command, context.db);
  const options: Document = {};
  for (const [key, value] of Object.entries(command) as [string, unknown][]) {
    if (GENERIC_FIELDS.has(key)) continue;
    if (!HARMLESS_OPTIONS.has(key)) {
      throw fail(
        'NotImplemented',
        `collection option '${key}' is not supported by the embedded MongoDB server`,
      );
    }
    options[key] = value;
  }
  context.server.catalog.createCollection(context.db, name, options);
  return { ok: 1 };
}

/** Since MongoDB 7.0 dropping a missing collection succeeds. */
function drop(command: Document, context: CommandContext): Document {
  const name = targetCollection(command, context.db);
  const collection = context.server.catalog.collection(context.db, name);
  if (!collection) return { ok: 1 };
  const nIndexesWas = collection.indexSpecs().length;
  context.server.catalog.dropCollection(context.db, name);
  return { nIndexesWas, ns: `${context.db}.${name}`, ok: 1 };
}

function dropDatabase(_command: Document, context: CommandContext): Document {
  checkDatabaseName(context.db);
  context.server.catalog.dropDatabase(context.db);
  return { ok: 1 };
}

function listCollections(command: Document, context: CommandContext): Document {
  const filter = compileFilter(asFilter(command.filter, 'listCollections.filter'));
  const nameOnly = optionalBoolean(command, 'nameOnly') ?? false;
  const entries = context.server.catalog
    .collections(context.db)
    .map((collection) => ({
      name: collection.name,
      type: 'collection',
      options: collection.options,
      info: { readOnly: false, uuid: collection.uuid },
      idIndex: ID_INDEX_SPEC,
    }))
    .filter(filter)
    .map((entry) => (nameOnly ? { name: entry.name, type: entry.type } : entry));
  const batchSize = optionalInteger(optionalDocument(command, 'cursor') ?? {}, 'batchSize');
  const cursor = context.server.cursors.open(
    `${context.db}.$cmd.listCollections`,
    entries,
    identityProjector,
    { batchSize },
  );
  return { cursor, ok: 1 };
}

function listDatabases(command: Document, context: CommandContext): Document {
  if (context.db !== 'admin')
    throw fail('Unauthorized', 'listDatabases may only be run against the admin database.');
  const { catalog } = context.server;
  const filter = compileFilter(asFilter(command.filter, 'listDatabases.filter'));
  const databases = catalog
    .databaseNames()
    .map((name) => ({
      name,
      // An estimate: the BSON size of the documents (there are no disk pages to count).
      sizeOnDisk: catalog.collections(name).reduce((sum, c) => sum + dataSize(c.docs.values()), 0),
      empty: false,
    }))
    .filter(filter);
  if (optionalBoolean(command, 'nameOnly'))
    return { databases: databases.map(({ name }) => ({ name })), ok: 1 };
  const totalSize = databases.reduce((sum, db) => sum + db.sizeOnDisk, 0);
  return { databases, totalSize, totalSizeMb: Math.floor(totalSize / 2 ** 20), ok: 1 };
}

export function dataSize(docs: Iterable<Document>): number {
  let size = 0;
  for (const doc of docs) size += BSON.calculateObjectSize(doc);
  return size;
}

export const collectionCommands: Readonly<Record<string, CommandHandler>> = {
  create,
  drop,
  dropDatabase,
  listCollections,
  listDatabases,
};
