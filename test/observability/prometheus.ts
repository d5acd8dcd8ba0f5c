/**
 * A real Prometheus for tests (Debian's `prometheus` package, which .ci/run installs), started
 * as compose starts it (exemplar storage on), scraping the given targets every second, on a
 * free port and a data directory of its own.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pollUntil } from '@tickwatch/infra/testing';
import { freePort } from '../../scripts/start/network.ts';

export interface TestPrometheus {
  readonly url: string;
  /** GET /api/v1/<endpoint>; the `data` of a successful answer. */
  api(endpoint: string, query: Record<string, string>): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startPrometheus(
  targets: Readonly<Record<string, string>>,
): Promise<TestPrometheus> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tickwatch-prometheus-'));
  const config = {
    global: { scrape_interval: '1s' },
    scrape_configs: Object.entries(targets).map(([job, target]) => ({
      job_name: job,
      static_configs: [{ targets: [target] }],
    })),
  };
  // JSON is YAML: no serializer needed.
  writeFileSync(path.join(dir, 'prometheus.yml'), JSON.stringify(config));
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${String(port)}`,
      '--enable-feature=exemplar-storage',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${String(port)}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await pollUntil(
      'Prometheus to be ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited:\n${log}`);
        return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    async api(endpoint, query) {
      const response = await fetch(
        `${url}/api/v1/${endpoint}?${new URLSearchParams(query).toString()}`,
      );
      const body = (await response.json()) as { status: string; data: unknown; error?: string };
      if (body.status !== 'success') throw new Error(`${endpoint}: ${body.error ?? ''}`);
      return body.data;
    },
    stop,
  };
}
