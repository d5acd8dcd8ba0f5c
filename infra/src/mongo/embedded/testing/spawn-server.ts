/**
 * Runs the embedded server CLI (scripts/mongo-embedded.ts) as a separate Node 24 process, for
 * tests that must kill it (SIGKILL mid-traffic) or keep its event loop apart from the test's
 * clients (latency under load).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

const repoRoot = path.resolve(import.meta.dirname, '../../../../..');

export interface ServerProcess {
  readonly uri: string;
  readonly process: ChildProcess;
}

/** Starts the server on a free port (in memory, or on `dataDir`) and resolves once it listens. */
export async function spawnServer(dataDir?: string): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    ['scripts/mongo-embedded.ts', '--port', '0', ...(dataDir ? ['--data', dataDir] : [])],
    {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const uri = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`server process exited early (${String(code)})`));
    });
    lines.on('line', (line) => {
      const url = (JSON.parse(line) as { MONGO_URL?: string }).MONGO_URL;
      if (url) resolve(url);
    });
  });
  return { uri, process: child };
}
