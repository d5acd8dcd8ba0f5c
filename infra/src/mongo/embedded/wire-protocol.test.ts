/**
 * Bad input on the wire closes that connection only, with a log line, while other clients keep
 * working and stored data stays intact; and a write is answered only after its journal write.
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { expect } from 'chai';
import { BSON } from 'bson';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { pollUntil } from '../../testing/poll-until.ts';
import { Catalog } from './engine/catalog.ts';
import { CursorRegistry } from './query/cursor-registry.ts';
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
      logger: pino({ level: 'silent' }),
      address: () => 'test',
      metrics: { scanned: 0, scannedObjects: 0 },
    };
    const listening = await listen({ host: '127.0.0.1', port: 0, state, durability });
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
