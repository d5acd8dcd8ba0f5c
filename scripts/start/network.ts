/** Loopback TCP helpers for `npm start`: is something listening, is a port free, pick a free one. */
import { createConnection, createServer } from 'node:net';

/** True when a TCP connection to host:port is accepted within `timeoutMs`. */
export function answers(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: timeoutMs });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => {
      done(true);
    });
    socket.once('timeout', () => {
      done(false);
    });
    socket.once('error', () => {
      done(false);
    });
  });
}

/** Listens on host:port (0 = any) and closes again: the port it got, or the listen error. */
function probeListen(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  });
}

export const freePort = (host = '127.0.0.1'): Promise<number> => probeListen(host, 0);

/** Undefined when host:port can be bound, else why not (e.g. `EADDRINUSE`). */
export async function bindProblem(host: string, port: number): Promise<string | undefined> {
  try {
    await probeListen(host, port);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export const isLoopbackHost = (host: string): boolean =>
  LOOPBACK_NAMES.has(host) || host.startsWith('127.');
