/**
 * The data directory layout and its lock:
 *   mongod.lock              pid of the process using the directory (informational)
 *   snapshot-<gen>.bson      complete state as of the start of journal <gen>
 *   journal-<gen>.log        changes made while <gen> was current
 * State = newest snapshot S (or empty) + journals S, S+1, ... replayed in order.
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import path from 'node:path';

export interface Layout {
  readonly snapshots: number[];
  readonly journals: number[];
}

const pad = (gen: number) => String(gen).padStart(8, '0');

export const snapshotFile = (dir: string, gen: number) =>
  path.join(dir, `snapshot-${pad(gen)}.bson`);
export const journalFile = (dir: string, gen: number) => path.join(dir, `journal-${pad(gen)}.log`);

/** Lists generations present, deleting leftovers of interrupted snapshot writes. */
export function readLayout(dir: string): Layout {
  const snapshots: number[] = [];
  const journals: number[] = [];
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.tmp')) {
      rmSync(path.join(dir, name), { force: true });
      continue;
    }
    const snapshot = /^snapshot-(\d+)\.bson$/.exec(name);
    if (snapshot) snapshots.push(Number(snapshot[1]));
    const journal = /^journal-(\d+)\.log$/.exec(name);
    if (journal) journals.push(Number(journal[1]));
  }
  return { snapshots: snapshots.sort((a, b) => a - b), journals: journals.sort((a, b) => a - b) };
}

/**
 * Takes the directory for this process, or refuses it while another server holds it: two
 * writers would corrupt the journal.
 *
 * The lock is a listening Unix socket whose name is derived from the directory's device and
 * inode. Binding a name is atomic (of two servers starting at the same moment exactly one gets
 * it) and the kernel closes the socket when its holder dies, even before the dead process is
 * reaped, so a SIGKILLed server never blocks its restart and no PID is trusted. On Linux the
 * name lives in the abstract namespace (nothing on disk, nothing stale); elsewhere it is a
 * socket file in the directory, taken over when nothing answers on it. `mongod.lock` holds the
 * owner's pid for people to read, as mongod's does; it decides nothing.
 */
export async function lockDirectory(dir: string): Promise<() => Promise<void>> {
  mkdirSync(dir, { recursive: true });
  const address = lockAddress(dir);
  const holder = createServer((socket) => {
    // Whoever is refused learns who holds the directory.
    socket.end(String(process.pid));
  });
  holder.on('error', () => undefined);
  try {
    await bind(holder, address);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    const owner = await askOwner(address);
    if (owner === undefined && process.platform !== 'linux') {
      rmSync(address, { force: true }); // a socket file left by a dead server
      await bind(holder, address);
    } else {
      throw new Error(
        `data directory ${dir} is in use by ${owner ? `process ${owner}` : 'another server'}`,
        { cause: error },
      );
    }
  }
  holder.unref();
  const pidFile = path.join(dir, 'mongod.lock');
  writeFileSync(pidFile, String(process.pid));
  return async () => {
    rmSync(pidFile, { force: true });
    await new Promise<void>((resolve) => {
      holder.close(() => {
        resolve();
      });
    });
  };
}

function lockAddress(dir: string): string {
  if (process.platform !== 'linux') return path.join(dir, 'mongod.sock');
  const { dev, ino } = statSync(dir, { bigint: true });
  return `\0tickwatch-mongod-lock/${String(dev)}/${String(ino)}`;
}

function bind(server: Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The pid the holder answers with; undefined when nobody answers. */
function askOwner(address: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(address);
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
    });
    socket.on('error', () => {
      resolve(undefined);
    });
    socket.on('close', () => {
      resolve(answer || undefined);
    });
  });
}
