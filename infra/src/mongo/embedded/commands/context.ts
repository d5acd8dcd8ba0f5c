/**
 * What a command handler sees: the server's shared state and the request's database and
 * connection. Handlers are synchronous on purpose: a command runs to completion without
 * yielding, so each one is atomic with respect to every other connection.
 */
import type { Document } from 'bson';
import type { Logger } from 'pino';
import type { Catalog } from '../engine/catalog.ts';
import type { CursorRegistry } from '../query/cursor-registry.ts';

export interface ServerState {
  readonly catalog: Catalog;
  readonly cursors: CursorRegistry;
  readonly startedAt: Date;
  readonly logger: Logger;
  /** host:port clients reach us at, for `me` style fields. */
  readonly address: () => string;
}

export interface CommandContext {
  readonly server: ServerState;
  /** The request's `$db`. */
  readonly db: string;
  readonly connectionId: number;
  /** Set by handshake commands: the legacy `isMaster` spelling answers `ismaster: true`. */
  readonly legacyHello?: boolean;
}

export type CommandHandler = (command: Document, context: CommandContext) => Document;
