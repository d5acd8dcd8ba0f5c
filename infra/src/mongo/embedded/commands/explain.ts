/**
 * explain for find: which plan ran and how much it examined (`totalKeysExamined`,
 * `totalDocsExamined`), in the server's shape, so a test can check the same thing on both
 * servers: an indexed lookup examines only the documents it returns.
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { newPlanStats } from '../query/execute.ts';
import { commandName } from './args.ts';
import type { CommandContext, CommandHandler } from './context.ts';
import { parseAndRunFind } from './find.ts';
import { SERVER_VERSION } from './handshake.ts';

async function explain(command: Document, context: CommandContext): Promise<Document> {
  const inner: unknown = command.explain;
  if (!isPlainObject(inner))
    throw fail(
      'TypeMismatch',
      "BSON field 'explain.explain' is the wrong type, expected type 'object'",
    );
  if (commandName(inner) !== 'find') {
    throw fail(
      'NotImplemented',
      `explain of '${commandName(inner)}' is not supported by the embedded MongoDB server (find only)`,
    );
  }
  const stats = newPlanStats();
  const started = performance.now();
  const { collection, filter, docs } = await parseAndRunFind(inner, context, stats);
  const scan =
    stats.stage === 'COLLSCAN' || stats.stage === 'EOF'
      ? { stage: stats.stage }
      : {
          stage: 'FETCH',
          inputStage: {
            stage: stats.stage,
            indexName: stats.indexName,
            keyPattern: stats.keyPattern,
          },
        };
  return {
    explainVersion: '1',
    queryPlanner: {
      namespace: `${context.db}.${collection}`,
      parsedQuery: filter,
      winningPlan: scan,
      rejectedPlans: [],
    },
    executionStats: {
      executionSuccess: true,
      nReturned: docs.length,
      executionTimeMillis: Math.round(performance.now() - started),
      totalKeysExamined: stats.keysExamined,
      totalDocsExamined: stats.docsExamined,
    },
    serverInfo: { host: context.server.address(), version: SERVER_VERSION },
    ok: 1,
  };
}

export const explainCommands: Readonly<Record<string, CommandHandler>> = { explain };
