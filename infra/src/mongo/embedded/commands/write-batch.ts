/**
 * The statement loop shared by insert, update and delete (specifications source/crud, write
 * commands): a list of statements applied one by one; a statement's failure is reported in
 * `writeErrors` with its index, and `ordered` (the default) stops the batch at the first one,
 * otherwise the rest go on.
 */
import type { Document } from 'bson';
import { fail, MongoCommandError } from '../errors.ts';
import { Limits } from '../wire/constants.ts';
import type { Operation } from '../server/operation.ts';
import { optionalArray, optionalBoolean, required } from './args.ts';

function checkBatchSize(count: number): void {
  if (count < 1 || count > Limits.maxWriteBatchSize) {
    throw fail(
      'InvalidLength',
      `Write batch sizes must be between 1 and ${Limits.maxWriteBatchSize}. Got ${count} operations.`,
    );
  }
}

/**
 * Runs `apply` on each statement of `command[field]`, yielding to other connections between
 * statements when the slice is used up. Command-level problems (missing field, batch size)
 * throw; a statement's MongoCommandError becomes its write error. Running out of time
 * (MaxTimeMSExpired) is the error of the statement it interrupted and ends the batch, ordered
 * or not. Returns the `writeErrors` part of the reply (empty when there were none).
 */
export async function runWriteBatch(
  command: Document,
  field: string,
  operation: Operation,
  apply: (statement: unknown, index: number) => void | Promise<void>,
): Promise<{ writeErrors?: Document[] }> {
  const statements = required(command, field, optionalArray);
  checkBatchSize(statements.length);
  const ordered = optionalBoolean(command, 'ordered') ?? true;
  const writeErrors: Document[] = [];
  for (const [index, statement] of statements.entries()) {
    try {
      if (operation.due()) await operation.yieldTurn();
      await apply(statement, index);
    } catch (error) {
      if (!(error instanceof MongoCommandError)) throw error;
      writeErrors.push(error.toWriteError(index));
      if (ordered || error.codeName === 'MaxTimeMSExpired') break;
    }
  }
  return writeErrors.length > 0 ? { writeErrors } : {};
}
