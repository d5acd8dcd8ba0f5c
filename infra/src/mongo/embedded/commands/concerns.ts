/**
 * Read and write concerns as a standalone mongod 7 checks them before a command runs: what a
 * standalone cannot promise (other nodes, tags, snapshots, linearizability, causal reads) is
 * refused with the server's error instead of answered as if it had been done.
 * Sources: src/mongo/db/write_concern_idl.cpp (deserializeWriteConcernW),
 * src/mongo/db/write_concern.cpp (validateWriteConcern), src/mongo/db/read_concern_mongod.cpp
 * and repl/replication_coordinator_impl.cpp (waitUntilOpTimeForReadUntil).
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { typeName } from './args.ts';
import { parseCollation } from '../query/collation.ts';

const MAX_REPLICA_SET_MEMBERS = 50;
const SAFE_BOOL = '[bool, long, int, decimal, double]';

/** `durable`: the server has a journal (a data directory); `j: true` needs one. */
export function checkWriteConcern(concern: unknown, durable: boolean): void {
  if (concern === undefined || concern === null) return;
  if (!isPlainObject(concern)) {
    throw fail(
      'TypeMismatch',
      `BSON field 'writeConcern' is the wrong type '${typeName(concern)}', expected type 'object'`,
    );
  }
  const { w, j, fsync } = concern;
  for (const [field, value] of [
    ['j', j],
    ['fsync', fsync],
  ] as const) {
    if (value !== undefined && typeof value !== 'boolean' && typeof value !== 'number') {
      throw fail(
        'TypeMismatch',
        `BSON field 'writeConcern.${field}' is the wrong type '${typeName(value)}', expected types '${SAFE_BOOL}'`,
      );
    }
  }
  if (typeof w === 'number') {
    if (Number.isNaN(w)) throw fail('FailedToParse', 'w cannot be NaN');
    const nodes = Math.trunc(w);
    if (nodes < 0 || nodes > MAX_REPLICA_SET_MEMBERS) {
      throw fail(
        'FailedToParse',
        `w has to be a non-negative number and not greater than ${String(MAX_REPLICA_SET_MEMBERS)}; found: ${String(nodes)}`,
      );
    }
  } else if (isPlainObject(w)) {
    if (Object.keys(w).length === 0)
      throw fail('FailedToParse', 'tagged write concern requires tags');
    for (const [tag, count] of Object.entries(w)) {
      if (typeof count !== 'number') {
        throw fail(
          'FailedToParse',
          `tags must be a single level document with only number values; found: ${tag}: ${JSON.stringify(count)}`,
        );
      }
    }
  } else if (w !== undefined && w !== null && typeof w !== 'string') {
    throw fail('FailedToParse', `w has to be a number, string, or object; found: ${typeName(w)}`);
  }
  if ((j === true || (typeof j === 'number' && j !== 0)) && !durable) {
    throw fail('BadValue', "cannot use 'j' option when a host does not have journaling enabled");
  }
  if (typeof w === 'number' && w > 1)
    throw fail('BadValue', "cannot use 'w' > 1 when a host is not replicated");
  if ((typeof w === 'string' && w !== 'majority') || isPlainObject(w)) {
    throw fail(
      'BadValue',
      `cannot use non-majority 'w' mode ${JSON.stringify(typeof w === 'string' ? w : w)} when a host is not a member of a replica set`,
    );
  }
}

const LEVELS = new Set(['local', 'majority', 'available', 'linearizable', 'snapshot']);
const READ_CONCERN_FIELDS = new Set([
  'level',
  'afterOpTime',
  'afterClusterTime',
  'atClusterTime',
  'provenance',
  'allowTransactionTableSnapshot',
  '$_allowTransactionTableSnapshot',
]);

/** `local`, `majority` (this server is the majority) and `available` are what a standalone reads. */
export function checkReadConcern(concern: unknown): void {
  if (concern === undefined || concern === null) return;
  if (!isPlainObject(concern)) {
    throw fail(
      'TypeMismatch',
      `BSON field 'readConcern' is the wrong type '${typeName(concern)}', expected type 'object'`,
    );
  }
  for (const field of Object.keys(concern)) {
    if (!READ_CONCERN_FIELDS.has(field))
      throw fail('Location40415', `BSON field 'readConcern.${field}' is an unknown field.`);
  }
  const level: unknown = concern.level;
  if (level !== undefined && typeof level !== 'string') {
    throw fail(
      'TypeMismatch',
      `BSON field 'readConcern.level' is the wrong type '${typeName(level)}', expected type 'string'`,
    );
  }
  if (typeof level === 'string' && !LEVELS.has(level)) {
    throw fail(
      'BadValue',
      `Enumeration value '${level}' for field 'readConcern.level' is not a valid value.`,
    );
  }
  if (level === 'snapshot') {
    throw fail(
      'NotAReplicaSet',
      'node needs to be a replica set member to use readConcern: snapshot',
    );
  }
  checkClusterTimes(concern);
  if (level === 'linearizable' || concern.afterOpTime !== undefined) {
    throw fail('NotAReplicaSet', 'node needs to be a replica set member to use read concern');
  }
}

/**
 * A standalone keeps no cluster time (jstests/noPassthrough/after_cluster_time.js and the
 * standalone readConcern jstest): afterClusterTime must be a timestamp (14), a null one is
 * InvalidOptions (72), any other IllegalOperation (20); atClusterTime belongs to snapshot
 * reads only (72, repl/read_concern_args.cpp).
 */
function checkClusterTimes(concern: Record<string, unknown>): void {
  for (const field of ['afterClusterTime', 'atClusterTime'] as const) {
    const value = concern[field];
    if (value === undefined) continue;
    if (typeName(value) !== 'timestamp') {
      throw fail(
        'TypeMismatch',
        `BSON field 'readConcern.${field}' is the wrong type '${typeName(value)}', expected type 'timestamp'`,
      );
    }
    if (field === 'atClusterTime')
      throw fail('InvalidOptions', 'atClusterTime must be used with snapshot read concern');
    if ((value as { isZero(): boolean }).isZero())
      throw fail('InvalidOptions', 'afterClusterTime cannot be a null timestamp');
    throw fail(
      'IllegalOperation',
      'Cannot specify afterClusterTime readConcern without replication enabled',
    );
  }
}

/**
 * Every collation a command carries (its own and its statements' or index specs') is parsed
 * before anything runs, so a malformed or unimplemented one fails the whole command
 * (query/collation.ts).
 */
export function checkCollations(command: Document, name: string): void {
  parseCollation(command.collation, `${name}.collation`);
  for (const field of ['updates', 'deletes', 'indexes']) {
    const entries: unknown = command[field];
    if (!Array.isArray(entries)) continue;
    for (const entry of entries)
      if (isPlainObject(entry)) parseCollation(entry.collation, `${name}.${field}.collation`);
  }
}
