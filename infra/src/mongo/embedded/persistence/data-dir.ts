/**
 * The data directory layout and its lock:
 *   mongod.lock              pid of the process using the directory
 *   snapshot-<gen>.bson      complete state as of the start of journal <gen>
 *   journal-<gen>.log        changes made while <gen> was current
 * State = newest snapshot S (or empty) + journals S, S+1, ... replayed in order.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
 * Takes the directory for this process. A lock left by a process that no longer exists (after
 * SIGKILL) is taken over; a live owner is refused, since two writers would corrupt the journal.
 */
const lockedHere = new Set<string>();

export function lockDirectory(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const resolved = path.resolve(dir);
  if (lockedHere.has(resolved))
    throw new Error(`data directory ${dir} is already open in this process`);
  const lock = path.join(dir, 'mongod.lock');
  let owner: number | undefined;
  try {
    owner = Number(readFileSync(lock, 'utf8').trim()) || undefined;
  } catch {
    owner = undefined;
  }
  if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
    throw new Error(`data directory ${dir} is in use by process ${owner} (${lock})`);
  }
  writeFileSync(lock, String(process.pid));
  lockedHere.add(resolved);
  return () => {
    lockedHere.delete(resolved);
    rmSync(lock, { force: true });
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
