/**
 * A TCP proxy between a client and the broker that tests use to break the network the ways a
 * real one breaks: `cut` (connections reset), `stall` (bytes stop flowing, sockets stay open:
 * only heartbeats notice), `slow` (every chunk delayed), `refuse` (new connections dropped).
 * Loopback only.
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
  /** Undoes stall, slow and refuse. */
  resume(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let stalled = false;
  let delayMs = 0;
  let refusing = false;

  const pipe = (from: net.Socket, to: net.Socket): void => {
    // A chain of promises per direction keeps chunks in order when they are delayed.
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const wait = delayMs;
      chain = chain.then(async () => {
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        while (stalled && !to.destroyed) await new Promise((resolve) => setTimeout(resolve, 20));
        if (!to.destroyed) to.write(chunk);
      });
    });
  };

  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target);
    const pair = { client, upstream };
    pairs.add(pair);
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
    pipe(upstream, client);
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
