/**
 * Shared checks for a service entry point, run as a real process started like in production
 * (through the telemetry bootstrap, launch.ts): it refuses a bad configuration listing every
 * bad variable, and with a good one it serves /healthz, /readyz and /metrics (every tickwatch_
 * metric of it in the README's metric table), then stops cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { EXIT_CONFIG } from '../service.ts';
import { nodeArguments } from '../telemetry/launch.ts';
import { undocumentedMetrics } from './documented-metrics.ts';
import { pollUntil } from './poll-until.ts';

export interface EntryPointSpec {
  readonly entry: URL;
  /**
   * Environment that must start the service (ports should be 0); a function when it names
   * something the suite starts first (a database, a vhost), read when the test runs.
   */
  readonly validEnv: Readonly<Record<string, string>> | (() => Readonly<Record<string, string>>);
  /** How long the service may take to log "started", ms (default 10 000). */
  readonly startTimeoutMs?: number;
  /** Environment with several bad variables... */
  readonly invalidEnv: Readonly<Record<string, string>>;
  /** ...each of which must be named in the refusal. */
  readonly badVariables: readonly string[];
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A service entry point as a real process (only PATH of this environment), output collected. */
export function launchService(entry: URL, extraEnv: Readonly<Record<string, string>>) {
  const child = spawn(process.execPath, nodeArguments(entry.pathname), {
    env: { PATH: process.env.PATH ?? '', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  return { child, exited, output: () => ({ stdout, stderr }) };
}

/** The JSON log records of a service's stdout. */
export function logLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export function describeEntryPoint(spec: EntryPointSpec): void {
  describe(`entry point ${spec.entry.pathname.split('/').slice(-3).join('/')}`, () => {
    it('refuses a bad configuration, naming every bad variable, with exit status 78', async () => {
      const run = launchService(spec.entry, spec.invalidEnv);
      const exit = await run.exited;
      const { stderr } = run.output();
      expect(exit.code, stderr).to.equal(EXIT_CONFIG);
      for (const variable of spec.badVariables)
        expect(stderr).to.match(new RegExp(`\\b${variable}: `));
    });

    it('serves /healthz, /readyz and /metrics, then stops cleanly on SIGTERM', async function () {
      const startTimeoutMs = spec.startTimeoutMs ?? 10_000;
      this.timeout(startTimeoutMs + 20_000);
      const run = launchService(
        spec.entry,
        typeof spec.validEnv === 'function' ? spec.validEnv() : spec.validEnv,
      );
      try {
        const started = await pollUntil(
          'the "started" log line',
          () => logLines(run.output().stdout).find((line) => line.msg === 'started'),
          { timeoutMs: startTimeoutMs },
        );
        const base = `http://127.0.0.1:${String(started.port)}`;
        expect((await fetch(`${base}/healthz`)).status).to.equal(200);
        const metrics = await fetch(`${base}/metrics`);
        expect(metrics.status).to.equal(200);
        const metricsText = await metrics.text();
        expect(metricsText).to.match(/^process_cpu_seconds_total \d/m);
        expect(await undocumentedMetrics(metricsText), 'run npm run docs').to.deep.equal([]);
        const ready = await pollUntil('readiness', async () => {
          const response = await fetch(`${base}/readyz`);
          return response.status === 200 && ((await response.json()) as { status: string });
        });
        expect(ready.status).to.equal('ready');
        run.child.kill('SIGTERM');
        const exit = await run.exited;
        expect(exit.code, run.output().stderr).to.equal(0);
        expect(logLines(run.output().stdout).map((line) => line.msg)).to.include('stopped');
      } finally {
        run.child.kill('SIGKILL');
      }
    });
  });
}
