/**
 * A TCP proxy between a client and the broker that tests use to break the network the ways a
 * real one breaks: `cut` (connections reset), `stall` (bytes stop flowing, sockets stay open:
 * only heartbeats notice), `slow` (every chunk delayed), `refuse` (new connections dropped).
 * It can also say what the broker says under a resource alarm (`connection.blocked`, then
 * `connection.unblocked`) without raising one: a real alarm is broker-wide and would block every
 * other suite sharing the broker. Loopback only.
 */
import net from 'node:net';

export interface FaultProxy {
  readonly port: number;
  /** Open client connections. */
  readonly connections: number;
  /** Destroys every open connection (both sides). New ones are accepted. */
  cut(): void;
  /** Stops forwarding on open and new connections until `resume()`. */
  stall(): void;
  /** Delays each forwarded chunk by `ms` (order kept); 0 to stop. */
  slow(ms: number): void;
  /** Drops new connections at once while true (broker "down"). */
  refuse(refusing: boolean): void;
  /**
   * Sends `connection.blocked` with `reason` to every open client, between two of the broker's
   * frames, as the broker does when a memory or disk alarm goes off.
   */
  block(reason: string): void;
  /** Sends `connection.unblocked` (the alarm cleared). */
  unblock(): void;
  /** Undoes stall, slow and refuse. */
  resume(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket; inject: Injector }>();
  let stalled = false;
  let delayMs = 0;
  let refusing = false;

  /** Forwards `from` to `to`; the returned function slips a frame in at the next frame boundary. */
  const pipe = (from: net.Socket, to: net.Socket): Injector => {
    // A chain of promises per direction keeps chunks in order when they are delayed.
    let chain = Promise.resolve();
    const frames = frameBoundaries();
    const injections: Buffer[] = [];
    const flushInjections = (): void => {
      while (frames.atBoundary && injections.length > 0 && !to.destroyed) {
        to.write(injections.shift() as Buffer);
      }
    };
    from.on('data', (chunk: Buffer) => {
      const wait = delayMs;
      chain = chain.then(async () => {
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        while (stalled && !to.destroyed) await new Promise((resolve) => setTimeout(resolve, 20));
        if (to.destroyed) return;
        to.write(chunk);
        frames.feed(chunk);
        flushInjections();
      });
    });
    return (frame) => {
      injections.push(frame);
      chain = chain.then(flushInjections);
    };
  };

  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    pipe(client, upstream);
    const pair = { client, upstream, inject: pipe(upstream, client) };
    pairs.add(pair);
  });

  // Every emitter gets an 'error' listener: a failed listen rejects instead of crashing mocha.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => {
    // An accept error (EMFILE) later must not crash the suite; sockets have their own listeners.
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');

  const cut = (): void => {
    for (const { client, upstream } of pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    pairs.clear();
  };

  return {
    port: address.port,
    get connections() {
      return pairs.size;
    },
    cut,
    stall() {
      stalled = true;
    },
    slow(ms) {
      delayMs = ms;
    },
    refuse(value) {
      refusing = value;
    },
    block(reason) {
      for (const pair of pairs) pair.inject(connectionMethod(METHOD_BLOCKED, reason));
    },
    unblock() {
      for (const pair of pairs) pair.inject(connectionMethod(METHOD_UNBLOCKED));
    },
    resume() {
      stalled = false;
      delayMs = 0;
      refusing = false;
    },
    async close() {
      cut();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

type Injector = (frame: Buffer) => void;

/** AMQP 0-9-1 connection class methods (class 10): blocked (60) takes a reason, unblocked (61) none. */
const METHOD_BLOCKED = 60;
const METHOD_UNBLOCKED = 61;

/** A method frame on channel 0: type 1, channel, size, class, method, arguments, frame end 0xCE. */
function connectionMethod(method: number, reason?: string): Buffer {
  const argument =
    reason === undefined
      ? Buffer.alloc(0)
      : Buffer.concat([Buffer.from([Buffer.byteLength(reason)]), Buffer.from(reason)]);
  const payload = Buffer.alloc(4 + argument.length);
  payload.writeUInt16BE(10, 0);
  payload.writeUInt16BE(method, 2);
  argument.copy(payload, 4);
  const header = Buffer.alloc(7);
  header.writeUInt8(1, 0);
  header.writeUInt16BE(0, 1);
  header.writeUInt32BE(payload.length, 3);
  return Buffer.concat([header, payload, Buffer.from([0xce])]);
}

/**
 * Follows the broker's frames (7-byte header with the payload size, payload, end byte) through
 * the chunks forwarded, so that an injected frame never lands inside one of them.
 */
function frameBoundaries(): { feed(chunk: Buffer): void; readonly atBoundary: boolean } {
  let header = Buffer.alloc(0);
  let remaining = 0;
  return {
    feed(chunk) {
      let offset = 0;
      while (offset < chunk.length) {
        if (remaining > 0) {
          const taken = Math.min(remaining, chunk.length - offset);
          remaining -= taken;
          offset += taken;
          continue;
        }
        const part = chunk.subarray(offset, offset + 7 - header.length);
        header = Buffer.concat([header, part]);
        offset += part.length;
        if (header.length === 7) {
          remaining = header.readUInt32BE(3) + 1;
          header = Buffer.alloc(0);
        }
      }
    },
    get atBoundary() {
      return remaining === 0 && header.length === 0;
    },
  };
}
