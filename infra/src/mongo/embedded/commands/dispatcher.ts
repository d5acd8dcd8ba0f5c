/**
 * Routes a decoded command to its handler and turns every outcome into a reply document:
 * a result, or `{ ok: 0, errmsg, code, codeName }`. Unknown commands get CommandNotFound (59),
 * transactions get IllegalOperation (20) as on a standalone server, and an unexpected exception
 * is logged and answered as InternalError (1), never as success.
 */
import type { Document } from 'bson';
import { fail, MongoCommandError } from '../errors.ts';
import { nestsDeeperThan } from '../engine/nesting-depth.ts';
import { Limits } from '../wire/constants.ts';
import { Operation } from '../server/operation.ts';
import { aggregateCommands } from './aggregate.ts';
import { commandName } from './args.ts';
import { checkCollations, checkReadConcern, checkWriteConcern } from './concerns.ts';
import { checkKnownFields } from './known-fields.ts';
import { collectionCommands } from './collections.ts';
import type { CommandContext, CommandHandler, ServerState } from './context.ts';
import { countDistinctCommands } from './count-distinct.ts';
import { explainCommands } from './explain.ts';
import { findAndModifyCommands } from './find-and-modify.ts';
import { findCommands } from './find.ts';
import { handshakeCommands } from './handshake.ts';
import { indexCommands } from './indexes.ts';
import { insertCommands } from './insert.ts';
import { statsCommands } from './stats.ts';
import { updateCommands } from './update.ts';

const HANDLERS: ReadonlyMap<string, CommandHandler> = new Map(
  Object.entries({
    ...handshakeCommands,
    ...findCommands,
    ...insertCommands,
    ...updateCommands,
    ...findAndModifyCommands,
    ...countDistinctCommands,
    ...aggregateCommands,
    ...collectionCommands,
    ...indexCommands,
    ...statsCommands,
    ...explainCommands,
  }),
);

/** Commands a driver may send before `$db` handling matters (legacy OP_QUERY handshake). */
export const HANDSHAKE_COMMANDS = new Set(['hello', 'isMaster', 'ismaster']);

export function commandNames(): string[] {
  return [...HANDLERS.keys()];
}

export interface Dispatched {
  readonly reply: Document;
  readonly name: string;
}

/** maxTimeMS as max_time_ms_parser.cpp reads it: a whole number of ms in [0, 2^31 - 1]. */
function maxTimeMS(command: Document): number {
  const value: unknown = command.maxTimeMS;
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number') throw fail('BadValue', 'maxTimeMS must be a number');
  const whole = Math.trunc(value);
  if (whole < 0 || whole > 2 ** 31 - 1)
    throw fail('BadValue', `${String(whole)} value for maxTimeMS is out of range [0, 2147483647]`);
  if (whole !== value) throw fail('BadValue', 'maxTimeMS has non-integral value');
  return whole;
}

export async function dispatch(
  command: Document,
  server: ServerState,
  connectionId: number,
): Promise<Dispatched> {
  const name = commandName(command);
  try {
    const db: unknown = command.$db;
    if (typeof db !== 'string')
      throw fail('IDLFailedToParse', "BSON field 'OP_MSG.$db' is missing but a required field");
    if (
      command.txnNumber !== undefined ||
      command.startTransaction !== undefined ||
      command.autocommit !== undefined
    ) {
      throw fail(
        'IllegalOperation',
        'Transaction numbers are only allowed on a replica set member or mongos',
      );
    }
    // Refused before anything recursive looks at it, so it cannot overflow the stack.
    if (nestsDeeperThan(command, Limits.maxCommandDepth)) {
      throw fail(
        'Overflow',
        `BSONObj exceeds maximum nested object depth: ${String(Limits.maxCommandDepth)}`,
      );
    }
    const handler = HANDLERS.get(name);
    if (!handler) throw fail('CommandNotFound', `no such command: '${name}'`);
    checkKnownFields(command, name);
    checkWriteConcern(command.writeConcern, server.durable);
    checkReadConcern(command.readConcern);
    checkCollations(command, name);
    const operation = new Operation(maxTimeMS(command));
    const context: CommandContext = { server, db, connectionId, operation };
    try {
      return { reply: await handler(command, context), name };
    } finally {
      server.metrics.scanned += operation.examined.keys;
      server.metrics.scannedObjects += operation.examined.docs;
    }
  } catch (error) {
    if (error instanceof MongoCommandError) return { reply: error.toReply(), name };
    server.logger.error({ err: error, command: name, connectionId }, 'command failed unexpectedly');
    const message = error instanceof Error ? error.message : String(error);
    return {
      reply: fail('InternalError', `internal error in ${name}: ${message}`).toReply(),
      name,
    };
  }
}
