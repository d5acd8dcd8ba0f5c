/**
 * The connection handshake and server-information commands. The `hello` answer describes a
 * standalone server the current driver accepts (specifications source/mongodb-handshake and
 * server-discovery-and-monitoring):
 *  - maxWireVersion 21 (MongoDB 7.0), inside the driver's supported 9..29 range
 *    (node_modules/mongodb/lib/cmap/wire_protocol/constants.js);
 *  - no topologyVersion: with one the driver would switch to streaming monitoring over exhaust
 *    cursors, which we do not offer; without it the monitor polls `hello` every 10 s;
 *  - no compression field: the driver then never sends OP_COMPRESSED;
 *  - logicalSessionTimeoutMinutes: the driver only attaches sessions (lsid) when it is present,
 *    and sessions are accepted and ignored.
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { Limits } from '../wire/constants.ts';
import type { CommandContext, CommandHandler } from './context.ts';

export const WIRE_VERSION = 21;
export const SERVER_VERSION = '7.0.0';

function hello(command: Document, context: CommandContext, legacy: boolean): Document {
  return {
    ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
    ...(legacy && command.helloOk !== true ? {} : { helloOk: true }),
    maxBsonObjectSize: Limits.maxBsonObjectSize,
    maxMessageSizeBytes: Limits.maxMessageSizeBytes,
    maxWriteBatchSize: Limits.maxWriteBatchSize,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: context.connectionId,
    minWireVersion: 0,
    maxWireVersion: WIRE_VERSION,
    readOnly: false,
    ok: 1,
  };
}

const PARAMETERS: Readonly<Record<string, unknown>> = {
  featureCompatibilityVersion: { version: '7.0' },
  authenticationMechanisms: [],
  maxBSONDepth: Limits.maxCommandDepth,
  cursorTimeoutMillis: 600_000,
  ttlMonitorSleepSecs: 60,
};

function getParameter(command: Document): Document {
  const requested =
    command.getParameter === '*'
      ? Object.keys(PARAMETERS)
      : Object.keys(command).filter(
          (k) => k !== 'getParameter' && !k.startsWith('$') && k !== 'lsid' && k !== 'comment',
        );
  const reply: Document = {};
  for (const name of requested) {
    if (!(name in PARAMETERS)) throw fail('InvalidOptions', `no option found to get: ${name}`);
    reply[name] = PARAMETERS[name];
  }
  if (requested.length === 0) throw fail('InvalidOptions', 'no option found to get');
  return { ...reply, ok: 1 };
}

function buildInfo(): Document {
  return {
    version: SERVER_VERSION,
    gitVersion: 'tickwatch-embedded',
    versionArray: [7, 0, 0, 0],
    modules: [],
    allocator: 'system',
    javascriptEngine: 'none',
    sysInfo: 'deprecated',
    bits: 64,
    debug: false,
    maxBsonObjectSize: Limits.maxBsonObjectSize,
    storageEngines: ['embedded'],
    ok: 1,
  };
}

function serverStatus(_command: Document, context: CommandContext): Document {
  const now = new Date();
  const uptimeMillis = now.getTime() - context.server.startedAt.getTime();
  return {
    host: context.server.address(),
    version: SERVER_VERSION,
    process: 'mongod (tickwatch embedded)',
    pid: process.pid,
    uptime: Math.floor(uptimeMillis / 1000),
    uptimeMillis,
    localTime: now,
    storageEngine: { name: 'embedded' },
    metrics: {
      queryExecutor: {
        scanned: context.server.metrics.scanned,
        scannedObjects: context.server.metrics.scannedObjects,
      },
    },
    ok: 1,
  };
}

export const handshakeCommands: Readonly<Record<string, CommandHandler>> = {
  hello: (command, context) => hello(command, context, false),
  isMaster: (command, context) => hello(command, context, true),
  ismaster: (command, context) => hello(command, context, true),
  ping: () => ({ ok: 1 }),
  buildInfo,
  buildinfo: buildInfo,
  getParameter,
  serverStatus,
  // Sessions are accepted (the driver needs them for cursors) but hold no server state.
  endSessions: () => ({ ok: 1 }),
  killSessions: () => ({ ok: 1 }),
  whatsmyuri: (_command, context) => ({ you: `connection ${String(context.connectionId)}`, ok: 1 }),
  connectionStatus: () => ({
    authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] },
    ok: 1,
  }),
};
