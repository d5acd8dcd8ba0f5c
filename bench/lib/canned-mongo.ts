/**
 * A server that speaks just enough of the MongoDB wire protocol for the driver to connect,
 * ping and run one find, answering every request with bytes prepared in advance (only the
 * responseTo field is patched). What the driver costs when the server costs nothing: the floor
 * the embedded server's command path is measured against.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Document } from 'bson';
import { encodeOpMsg } from '../../infra/src/mongo/embedded/wire/op-msg.ts';
import { encodeOpReply } from '../../infra/src/mongo/embedded/wire/op-query.ts';
import { FrameSplitter } from '../../infra/src/mongo/embedded/wire/frame-splitter.ts';

const OP_QUERY = 2004;
const OP_MSG = 2013;

const helloReply: Document = {
  isWritablePrimary: true,
  ismaster: true,
  helloOk: true,
  maxBsonObjectSize: 16 * 1024 * 1024,
  maxMessageSizeBytes: 48_000_000,
  maxWriteBatchSize: 100_000,
  localTime: new Date(0),
  logicalSessionTimeoutMinutes: 30,
  connectionId: 1,
  minWireVersion: 0,
  maxWireVersion: 21,
  readOnly: false,
  ok: 1,
};

export interface CannedServer {
  readonly uri: string;
  close(): Promise<void>;
}

/** `findReply` is what every find answers (e.g. one document, as a findOne by key returns). */
export async function startCannedServer(findReply: Document): Promise<CannedServer> {
  const canned = (reply: Document) => encodeOpMsg(0, 0, reply);
  const replies = new Map<string, Buffer>([
    ['hello', canned(helloReply)],
    ['isMaster', canned(helloReply)],
    ['ismaster', canned(helloReply)],
    ['find', canned(findReply)],
  ]);
  const ok = canned({ ok: 1 });
  const legacyHello = encodeOpReply(0, 0, helloReply);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    const splitter = new FrameSplitter();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of splitter.push(chunk)) {
        const requestId = frame.readInt32LE(4);
        const opCode = frame.readInt32LE(12);
        // OP_MSG: header, flags, section kind 0, then the command whose first field names it.
        const name =
          opCode === OP_MSG
            ? frame.toString('latin1', 26, frame.indexOf(0, 26))
            : opCode === OP_QUERY
              ? ''
              : undefined;
        if (name === undefined) continue;
        const reply = Buffer.from(opCode === OP_QUERY ? legacyHello : (replies.get(name) ?? ok));
        reply.writeInt32LE(requestId, 8);
        socket.write(reply);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    uri: `mongodb://127.0.0.1:${String(port)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        for (const socket of sockets) socket.destroy();
      }),
  };
}
