/**
 * The fields each IDL-parsed command accepts, so that a misspelt or unsupported option is
 * refused with the server's "BSON field '<command>.<field>' is an unknown field." (40415)
 * instead of being silently ignored. Lists from the server's IDL files
 * (src/mongo/db/query/find_command.idl, pipeline/aggregate_command.idl,
 * commands/count.idl, query/distinct_command.idl, ops/write_ops.idl,
 * query/getmore_command.idl, query/kill_cursors.idl, catalog/create_indexes.idl) and
 * src/mongo/idl/generic_argument.idl for the fields every command takes.
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { isPlainObject } from '../engine/index-keys.ts';

const GENERIC = [
  '$db',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
  'maxTimeMS',
  'readConcern',
  'writeConcern',
  'lsid',
  'txnNumber',
  'autocommit',
  'startTransaction',
  'stmtId',
  'comment',
  '$readPreference',
  '$clusterTime',
  '$audit',
  '$client',
  '$configServerState',
  '$configTime',
  '$topologyTime',
  'clientOperationKey',
  'databaseVersion',
  'shardVersion',
  'tracking_info',
  'mayBypassWriteBlocking',
  'txnRetryCounter',
  'maxTimeMSOpOnly',
  'usesDefaultMaxTimeMS',
  'help',
];

const FIELDS: Record<string, readonly string[]> = {
  find: [
    'filter',
    'projection',
    'sort',
    'hint',
    'skip',
    'limit',
    'batchSize',
    'singleBatch',
    'max',
    'min',
    'returnKey',
    'showRecordId',
    'tailable',
    'oplogReplay',
    'noCursorTimeout',
    'awaitData',
    'allowPartialResults',
    'collation',
    'allowDiskUse',
    'let',
    'readOnce',
    'collectionUUID',
  ],
  aggregate: [
    'pipeline',
    'explain',
    'allowDiskUse',
    'cursor',
    'bypassDocumentValidation',
    'collation',
    'hint',
    'let',
    'collectionUUID',
  ],
  count: ['query', 'limit', 'skip', 'hint', 'collation', 'fields', 'collectionUUID'],
  distinct: ['key', 'query', 'collation', 'hint', 'collectionUUID'],
  insert: ['documents', 'ordered', 'bypassDocumentValidation', 'stmtIds', 'collectionUUID'],
  update: ['updates', 'ordered', 'bypassDocumentValidation', 'let', 'stmtIds', 'collectionUUID'],
  delete: ['deletes', 'ordered', 'let', 'stmtIds', 'collectionUUID'],
  findAndModify: [
    'query',
    'fields',
    'sort',
    'hint',
    'collation',
    'arrayFilters',
    'remove',
    'update',
    'new',
    'upsert',
    'bypassDocumentValidation',
    'let',
    'collectionUUID',
  ],
  getMore: ['collection', 'batchSize', 'term', 'lastKnownCommittedOpTime'],
  killCursors: ['cursors'],
  createIndexes: ['indexes', 'commitQuorum', 'ignoreUnknownIndexOptions', 'collectionUUID'],
};
FIELDS.findandmodify = FIELDS.findAndModify as readonly string[];

const STATEMENT_FIELDS: Record<string, readonly string[]> = {
  updates: ['q', 'u', 'c', 'upsert', 'multi', 'arrayFilters', 'hint', 'collation', 'sampleId'],
  deletes: ['q', 'limit', 'hint', 'collation', 'sampleId'],
};

const ACCEPTED = new Map(
  Object.entries(FIELDS).map(([name, fields]) => [name, new Set([name, ...GENERIC, ...fields])]),
);
const STATEMENTS = new Map(
  Object.entries(STATEMENT_FIELDS).map(([field, fields]) => [field, new Set(fields)]),
);

const unknown = (path: string) =>
  fail('Location40415', `BSON field '${path}' is an unknown field.`);

export function checkKnownFields(command: Document, name: string): void {
  const accepted = ACCEPTED.get(name);
  if (!accepted) return;
  for (const field of Object.keys(command)) {
    if (!accepted.has(field)) throw unknown(`${name}.${field}`);
  }
  for (const [field, fields] of STATEMENTS) {
    const statements: unknown = command[field];
    if (!Array.isArray(statements)) continue;
    for (const statement of statements) {
      if (!isPlainObject(statement)) continue;
      for (const key of Object.keys(statement))
        if (!fields.has(key)) throw unknown(`${name}.${field}.${key}`);
    }
  }
}
