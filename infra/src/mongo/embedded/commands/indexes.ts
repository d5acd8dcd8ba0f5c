/**
 * createIndexes, listIndexes, dropIndexes. All requested specs are validated before any index
 * is built; a unique index over existing duplicates fails with E11000 and is not created.
 */
import type { Document } from 'bson';
import { fail, MongoCommandError } from '../errors.ts';
import { defaultIndexName, isPlainObject, parseIndexSpec } from '../engine/index-keys.ts';
import { identityProjector } from '../query/projection.ts';
import {
  optionalArray,
  optionalDocument,
  optionalInteger,
  required,
  targetCollection,
} from './args.ts';
import type { CommandContext, CommandHandler } from './context.ts';
import { formatDocument } from '../engine/format-key.ts';

function createIndexes(command: Document, context: CommandContext): Document {
  const name = targetCollection(command, context.db);
  const raw = required(command, 'indexes', optionalArray);
  // src/mongo/db/index_builds_coordinator.cpp: a commit quorum needs replica set members.
  if (command.commitQuorum !== undefined)
    throw fail('BadValue', "Standalones can't specify commitQuorum");
  if (raw.length === 0) throw fail('BadValue', 'Must specify at least one index to create');
  const specs = raw.map((entry) => {
    if (!isPlainObject(entry))
      throw fail('TypeMismatch', "BSON field 'createIndexes.indexes' must hold objects");
    return parseIndexSpec(entry);
  });
  const { catalog } = context.server;
  const createdCollectionAutomatically = !catalog.collection(context.db, name);
  const collection = catalog.ensureCollection(context.db, name);
  const numIndexesBefore = collection.indexSpecs().length;
  for (const spec of specs) {
    try {
      collection.createIndex(spec);
    } catch (error) {
      if (error instanceof MongoCommandError && error.codeName === 'DuplicateKey') {
        throw fail('DuplicateKey', `Index build failed: ${error.message}`, error.details);
      }
      throw error;
    }
  }
  const numIndexesAfter = collection.indexSpecs().length;
  return {
    numIndexesBefore,
    numIndexesAfter,
    createdCollectionAutomatically,
    ...(numIndexesAfter === numIndexesBefore ? { note: 'all indexes already exist' } : {}),
    ok: 1,
  };
}

function listIndexes(command: Document, context: CommandContext): Document {
  const name = targetCollection(command, context.db);
  const collection = context.server.catalog.collection(context.db, name);
  if (!collection) throw fail('NamespaceNotFound', `ns does not exist: ${context.db}.${name}`);
  const batchSize = optionalInteger(optionalDocument(command, 'cursor') ?? {}, 'batchSize');
  const cursor = context.server.cursors.open(
    `${context.db}.${name}`,
    collection.indexSpecs(),
    identityProjector,
    { batchSize },
  );
  return { cursor, ok: 1 };
}

function dropIndexes(command: Document, context: CommandContext): Document {
  const name = targetCollection(command, context.db);
  const collection = context.server.catalog.collection(context.db, name);
  if (!collection) throw fail('NamespaceNotFound', `ns not found ${context.db}.${name}`);
  const nIndexesWas = collection.indexSpecs().length;
  const which: unknown = command.index;
  const names = (() => {
    if (which === '*') return collection.indexes.map((index) => index.name);
    if (typeof which === 'string') return [which];
    if (Array.isArray(which) && which.every((n) => typeof n === 'string')) return which;
    if (isPlainObject(which)) {
      const wanted = defaultIndexName(which);
      const found = collection.indexSpecs().find((spec) => defaultIndexName(spec.key) === wanted);
      if (!found)
        throw fail('IndexNotFound', `can't find index with key: ${formatDocument(which)}`);
      return [found.name];
    }
    throw fail(
      'TypeMismatch',
      "BSON field 'dropIndexes.index' must be a string, an array of strings or an object",
    );
  })();
  // Check all names first so a bad one in a list drops nothing.
  for (const indexName of names) {
    if (indexName === '_id_') throw fail('InvalidOptions', 'cannot drop _id index');
    if (!collection.getIndex(indexName))
      throw fail('IndexNotFound', `index not found with name [${indexName}]`);
  }
  for (const indexName of names) collection.dropIndex(indexName);
  return { nIndexesWas, ok: 1 };
}

export const indexCommands: Readonly<Record<string, CommandHandler>> = {
  createIndexes,
  listIndexes,
  dropIndexes,
};
