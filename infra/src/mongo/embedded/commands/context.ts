/**
 * What a command handler sees: the server's shared state, the request's database and
 * connection, and its Operation (deadline and event-loop turns). A handler returns its reply,
 * or a promise of it when its work may be long: such work yields in slices (server/operation.ts),
 * so other connections are answered meanwhile.
 */
import type { Document } from 'bson';
import type { Logger } from 'pino';
import type { Catalog } from '../engine/catalog.ts';
import type { CursorRegistry } from '../query/cursor-registry.ts';
import type { Operation } from '../server/operation.ts';

export interface ServerState {
  readonly catalog: Catalog;
  readonly cursors: CursorRegistry;
  readonly startedAt: Date;
  readonly logger: Logger;
  /** Whether changes go to a journal (a data directory): `j: true` needs one. */
  readonly durable: boolean;
  /** host:port clients reach us at, for `me` style fields. */
  readonly address: () => string;
  /** Totals serverStatus reports (mongod's metrics.queryExecutor). */
  readonly metrics: { scanned: number; scannedObjects: number };
}

export interface CommandContext {
  readonly server: ServerState;
  /** The request's `$db`. */
  readonly db: string;
  readonly connectionId: number;
  readonly operation: Operation;
  /** Set by handshake commands: the legacy `isMaster` spelling answers `ismaster: true`. */
  readonly legacyHello?: boolean;
}

export type CommandHandler = (
  command: Document,
  context: CommandContext,
) => Document | Promise<Document>;
