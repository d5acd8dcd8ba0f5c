/**
 * One child process of `npm start`: its output read line by line, its exit awaited, and a
 * graceful stop (SIGTERM, then SIGKILL after a deadline). Each child leads a process group of
 * its own, so a Ctrl-C in the terminal reaches only the supervisor, which stops the children in
 * order; and stopping a child reaches whatever it started (a broker script's Erlang VM).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: URL | string;
  readonly env: NodeJS.ProcessEnv;
  /** Called with each line of its stdout and stderr. */
  readonly onLine: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Child {
  readonly pid: number;
  readonly exited: Promise<Exit>;
  /** SIGTERM to its group; SIGKILL when it has not exited after `graceMs`. */
  stop(graceMs: number): Promise<Exit>;
}

export const describeExit = ({ code, signal }: Exit): string =>
  signal ? `killed by ${signal}` : `exit status ${String(code)}`;

/** The process groups launched here that have not exited yet. */
const liveGroups = new Set<number>();

/** Last resort (a second Ctrl-C, the supervisor itself failing): SIGKILL every child group now. */
export function killAllChildren(): void {
  for (const pid of liveGroups) signalGroup(pid, 'SIGKILL');
}

export function launchChild(spec: ChildSpec): Promise<Child> {
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) liveGroups.add(child.pid);
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      if (child.pid !== undefined) liveGroups.delete(child.pid);
      resolve({ code, signal });
    });
  });
  // The output may still hold lines when 'exit' fires: wait for both streams to end as well.
  const drained = Promise.all(
    (['stdout', 'stderr'] as const).map(
      (stream) =>
        new Promise<void>((resolve) => {
          createInterface({ input: child[stream], crlfDelay: Infinity })
            .on('line', (line) => {
              spec.onLine(line, stream);
            })
            .once('close', resolve);
        }),
    ),
  );
  const finished = Promise.all([exited, drained]).then(([exit]) => exit);

  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => {
      const pid = child.pid;
      if (pid === undefined) {
        reject(new Error(`${spec.name}: no pid after spawn`));
        return;
      }
      resolve({
        pid,
        exited: finished,
        async stop(graceMs) {
          signalGroup(pid, 'SIGTERM');
          const timer = setTimeout(() => {
            signalGroup(pid, 'SIGKILL');
          }, graceMs);
          const exit = await finished;
          clearTimeout(timer);
          // Whatever the leader left in its group (it should be nothing) goes with it.
          signalGroup(pid, 'SIGKILL');
          return exit;
        },
      });
    });
  });
}

/** Signals every process of the group led by `pid`; a group already gone is not an error. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** True while any process of the group led by `pid` is alive. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}
