/**
 * A benchmark's helper process (a server under test, a baseline, a process of clients): a node
 * child whose stdout is read line by line from the start to its end, so a chatty child never
 * blocks on a full pipe, and whose lines after the one it was waited for stay readable in order
 * (a client process reports its results on stdout).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface Child {
  readonly process: ChildProcess;
  /** The line `ready` accepted. */
  readonly line: string;
  /** The next line after it (waits for one), or undefined once stdout ended. */
  nextLine(): Promise<string | undefined>;
  /** SIGTERM, then waits for the exit (nothing when it already exited). */
  stop(): Promise<void>;
}

/**
 * Starts `node <args>` (this process's node, with `env` over this environment) and resolves
 * once it printed a line `ready` accepts; rejects if it exits before.
 */
export async function startChild(
  args: readonly string[],
  options: {
    readonly env?: Readonly<Record<string, string>>;
    readonly ready: (line: string) => boolean;
    /** Keep stdin open for the child to wait on (it ends when the child's `stdin` is ended). */
    readonly stdin?: boolean;
  },
): Promise<Child> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...options.env },
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const queued: string[] = [];
  const waiting: ((line: string | undefined) => void)[] = [];
  let ended = false;
  let readyLine: ((line: string) => void) | null = null;
  const reader = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  reader.on('line', (line) => {
    if (readyLine) {
      if (options.ready(line)) {
        readyLine(line);
        readyLine = null;
      }
      return;
    }
    const taker = waiting.shift();
    if (taker) taker(line);
    else queued.push(line);
  });
  reader.on('close', () => {
    ended = true;
    for (const taker of waiting.splice(0)) taker(undefined);
  });
  const line = await new Promise<string>((resolve, reject) => {
    readyLine = resolve;
    reader.on('close', () => {
      if (readyLine) reject(new Error(`node ${args.join(' ')} exited before it was ready`));
    });
  });
  return {
    process: child,
    line,
    nextLine() {
      const next = queued.shift();
      if (next !== undefined || ended) return Promise.resolve(next);
      return new Promise((resolve) => waiting.push(resolve));
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
