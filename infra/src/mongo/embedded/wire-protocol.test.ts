/**
 * Bad input on the wire closes that connection only, with a log line, while other clients keep
 * working and stored data stays intact; and a write is answered only after its journal write.
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { expect } from 'chai';
import { BSON, type Document } from 'bson';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { pollUntil } from '../../testing/poll-until.ts';
import { Catalog } from './engine/catalog.ts';
import { CursorRegistry } from './query/cursor-registry.ts';
import { InboundBudget } from './server/inbound-budget.ts';
import { listen } from './server/tcp-server.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from './index.ts';
import { OpCode } from './wire/constants.ts';

/** A wire message: header (length, requestID, responseTo, opCode) and body. */
function frame(opCode: number, body: Buffer, length?: number): Buffer {
  const header = Buffer.alloc(16);
  header.writeInt32LE(length ?? 16 + body.length, 0);
  header.writeInt32LE(7, 4);
  header.writeInt32LE(0, 8);
  header.writeInt32LE(opCode, 12);
  return Buffer.concat([header, body]);
}

function opMsg(command: Record<string, unknown>, flags = 0): Buffer {
  const flagBytes = Buffer.alloc(4);
  flagBytes.writeUInt32LE(flags, 0);
  return frame(
    OpCode.OP_MSG,
    Buffer.concat([flagBytes, Buffer.from([0]), BSON.serialize(command)]),
  );
}

async function rawSocket(server: EmbeddedMongo): Promise<Socket> {
  const socket = connect(server.port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

/** Resolves when the server closes the socket (the only acceptable reaction to bad framing). */
async function closedByServer(socket: Socket): Promise<void> {
  socket.resume();
  await once(socket, 'close');
}

describe('embedded MongoDB wire protocol', function () {
  let server: EmbeddedMongo;
  let client: MongoClient;
  const logs: { level: number; msg: string }[] = [];

  before(async () => {
    const logger = pino(
      { level: 'warn' },
      { write: (line: string) => logs.push(JSON.parse(line) as { level: number; msg: string }) },
    );
    server = await startEmbeddedMongo({ logger });
    client = await new MongoClient(server.uri).connect();
    await client
      .db('app')
      .collection('kept')
      .insertMany([{ a: 1 }, { a: 2 }]);
  });

  after(async () => {
    await client.close();
    await server.stop();
  });

  const cases: [string, () => Buffer, RegExp][] = [
    [
      'a length shorter than a header',
      () => Buffer.from([3, 0, 0, 0, 1, 2, 3]),
      /shorter than the 16-byte header/,
    ],
    [
      'a length above 48 MB',
      () => frame(OpCode.OP_MSG, Buffer.alloc(0), 48_000_001),
      /exceeds maxMessageSizeBytes/,
    ],
    ['an unknown opcode', () => frame(9999, Buffer.alloc(8)), /unsupported opcode 9999/],
    [
      'OP_COMPRESSED, never negotiated',
      () => frame(OpCode.OP_COMPRESSED, Buffer.alloc(12)),
      /OP_COMPRESSED/,
    ],
    [
      'an OP_MSG body that is not valid BSON',
      () =>
        frame(
          OpCode.OP_MSG,
          Buffer.concat([
            Buffer.alloc(4),
            Buffer.from([0, 12, 0, 0, 0, 0x02, 0x61, 0, 0xff, 0xff, 0xff, 0x7f, 0]),
          ]),
        ),
      /invalid BSON|overruns/,
    ],
    [
      'an OP_MSG with an unknown required flag bit',
      () => opMsg({ ping: 1, $db: 'admin' }, 1 << 5),
      /unknown required flag bits/,
    ],
    [
      'an OP_MSG with a bad checksum',
      () => Buffer.concat([opMsg({ ping: 1, $db: 'admin' }, 1), Buffer.alloc(4)]),
      /checksum|length/,
    ],
  ];

  for (const [name, bytes, reason] of cases) {
    it(`closes the connection on ${name}, logs why, and keeps serving others`, async () => {
      const socket = await rawSocket(server);
      const closed = closedByServer(socket);
      socket.write(bytes());
      const kept = client.db('app').collection('kept');
      const [count] = await Promise.all([kept.countDocuments(), closed]);
      expect(count).to.equal(2);
      expect(logs.map((line) => line.msg).join('\n')).to.match(reason);
      expect(await kept.insertOne({ a: 3 }).then(() => kept.deleteOne({ a: 3 }))).to.include({
        deletedCount: 1,
      });
    });
  }

  it('answers a bad command with an error and keeps the connection open', async () => {
    const socket = await rawSocket(server);
    const replies: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => replies.push(chunk));
    socket.write(opMsg({ frobnicate: 1, $db: 'admin' }));
    await waitFor(() => replies.length > 0);
    const reply = BSON.deserialize(Buffer.concat(replies).subarray(21));
    expect(reply).to.include({ ok: 0, code: 59, codeName: 'CommandNotFound' });
    replies.length = 0;
    socket.write(opMsg({ ping: 1, $db: 'admin' }));
    await waitFor(() => replies.length > 0);
    expect(BSON.deserialize(Buffer.concat(replies).subarray(21))).to.deep.equal({ ok: 1 });
    socket.destroy();
  });

  it('refuses OP_QUERY for anything but the handshake (UnsupportedOpQueryCommand, 352)', async () => {
    const socket = await rawSocket(server);
    const replies: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => replies.push(chunk));
    const body = Buffer.concat([
      Buffer.alloc(4),
      Buffer.from('app.$cmd\0'),
      Buffer.alloc(8),
      BSON.serialize({ find: 'kept' }),
    ]);
    socket.write(frame(OpCode.OP_QUERY, body));
    await waitFor(() => replies.length > 0);
    const reply = BSON.deserialize(Buffer.concat(replies).subarray(36));
    expect(reply).to.include({ ok: 0, code: 352 });
    socket.destroy();
  });
});

describe('embedded MongoDB connection limits', function () {
  const logs: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => logs.push(line) });
  const servers: EmbeddedMongo[] = [];
  const sockets: Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    for (const server of servers.splice(0)) await server.stop();
    logs.length = 0;
  });

  async function start(options: Parameters<typeof startEmbeddedMongo>[0]): Promise<EmbeddedMongo> {
    const server = await startEmbeddedMongo({ logger, ...options });
    servers.push(server);
    return server;
  }

  async function socketTo(server: EmbeddedMongo): Promise<Socket> {
    const socket = await rawSocket(server);
    sockets.push(socket);
    return socket;
  }

  /** The reply to a ping sent on `socket` (proof the server accepted and serves it). */
  async function ping(socket: Socket, pad = 0): Promise<Document> {
    const replies: Buffer[] = [];
    const onData = (chunk: Buffer) => replies.push(chunk);
    socket.on('data', onData);
    socket.write(opMsg({ ping: 1, ...(pad ? { pad: 'x'.repeat(pad) } : {}), $db: 'admin' }));
    await pollUntil('a reply', () => {
      const bytes = Buffer.concat(replies);
      return bytes.length >= 4 && bytes.length >= bytes.readInt32LE(0);
    });
    socket.off('data', onData);
    return BSON.deserialize(Buffer.concat(replies).subarray(21));
  }

  /** Announces a message of `length` bytes and sends only its first `sent` bytes. */
  function halfMessage(socket: Socket, length: number, sent: number): void {
    socket.write(frame(OpCode.OP_MSG, Buffer.alloc(sent - 16), length));
  }

  it('closes a connection whose message does not arrive whole in time, and serves others meanwhile', async () => {
    const server = await start({ messageTimeoutMs: 300 });
    const quiet = await socketTo(server);
    const closed = closedByServer(quiet);
    halfMessage(quiet, 47_000_000, 1_000_000);
    expect(await ping(await socketTo(server))).to.deep.equal({ ok: 1 });
    await closed;
    expect(logs.join('\n')).to.match(
      /message of 47000000 bytes not received whole within 300 ms \(1000000 bytes came\)/,
    );
  });

  it('holds at most maxInboundBytes of incoming messages: the next big one waits, small ones go on', async () => {
    const server = await start({ maxInboundBytes: 2 * 2 ** 20, messageTimeoutMs: 60_000 });
    // Three quiet clients take 1.5 MiB of the 1.75 MiB big messages may hold.
    for (let i = 0; i < 3; i++) halfMessage(await socketTo(server), 512 * 1024, 100_000);
    const waiting = await socketTo(server);
    const reply = ping(waiting, 512 * 1024 - 100);
    // A small command is still answered while the big one waits for memory...
    const other = await socketTo(server);
    expect(await ping(other)).to.deep.equal({ ok: 1 });
    expect(await ping(other)).to.deep.equal({ ok: 1 });
    expect(waiting.bytesRead).to.equal(0);
    // ...and the big one is read and answered once a quiet client lets go of its share.
    (sockets[0] as Socket).destroy();
    expect(await reply).to.deep.equal({ ok: 1 });
  });

  it('closes connections beyond maxIncomingConnections at once, and takes new ones when some leave', async () => {
    const server = await start({ maxIncomingConnections: 3 });
    const admitted = [await socketTo(server), await socketTo(server), await socketTo(server)];
    for (const socket of admitted) expect(await ping(socket)).to.deep.equal({ ok: 1 });
    await closedByServer(await socketTo(server));
    expect(logs.join('\n')).to.match(/too many open connections \(maxIncomingConnections 3\)/);
    (admitted[0] as Socket).destroy();
    const later = await pollUntil('a connection admitted again', async () => {
      const socket = await socketTo(server);
      const outcome = await Promise.race([
        ping(socket).then(() => socket),
        once(socket, 'close').then(() => undefined),
      ]);
      return outcome;
    });
    expect(await ping(later)).to.deep.equal({ ok: 1 });
  });
});

describe('embedded MongoDB durability ordering', () => {
  it('answers a write only after the journal has it, and a read without waiting', async () => {
    const catalog = new Catalog();
    let release: () => void = () => undefined;
    const written = new Promise<void>((resolve) => (release = resolve));
    const durability = { appended: 0, commit: () => written };
    catalog.attachLog({
      record: () => {
        durability.appended++;
      },
    });
    const state = {
      catalog,
      cursors: new CursorRegistry(),
      startedAt: new Date(),
      durable: false,
      logger: pino({ level: 'silent' }),
      address: () => 'test',
      metrics: { scanned: 0, scannedObjects: 0 },
    };
    const listening = await listen({
      host: '127.0.0.1',
      port: 0,
      state,
      durability,
      limits: { budget: new InboundBudget(2 ** 20), messageTimeoutMs: 30_000 },
      maxIncomingConnections: 10,
    });
    const client = await new MongoClient(`mongodb://127.0.0.1:${String(listening.port)}`).connect();
    try {
      let acknowledged = false;
      const insert = client
        .db('app')
        .collection('c')
        .insertOne({ a: 1 })
        .then(() => (acknowledged = true));
      await waitFor(() => durability.appended > 0);
      // The change is applied (a read sees it) but its reply waits for the journal.
      expect(await client.db('app').collection('c').countDocuments()).to.equal(1);
      expect(acknowledged).to.equal(false);
      release();
      await insert;
      expect(acknowledged).to.equal(true);
    } finally {
      await client.close();
      await listening.close();
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  await pollUntil('the expected reply or change', condition);
}
