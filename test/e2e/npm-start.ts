/**
 * `npm start` as a user runs it, for whole-system tests: spawned with its own ports (0 = free
 * ones), data directory and broker vhost, JSON output collected line by line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pollUntil } from '@tickwatch/infra/testing';
import type { GraphQLClient } from '../../scripts/demo/graphql.ts';
import { QUOTES } from '../../scripts/demo/operations.ts';

export interface LogRecord {
  readonly level: string;
  readonly service: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface NpmStart {
  readonly dataDir: string;
  readonly records: LogRecord[];
  stderr(): string;
  /** The first record matching, once it is there. */
  waitFor(
    description: string,
    match: (record: LogRecord) => boolean,
    timeoutMs?: number,
  ): Promise<LogRecord>;
  /** Every pid the supervisor reported starting (services, MongoDB, a broker node). */
  pids(): number[];
  readonly exited: Promise<Exit>;
  /** Sends `signal` to npm and waits for it to exit; removes the data directory. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

export function npmStart(env: Readonly<Record<string, string>>): NpmStart {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tickwatch-start-'));
  const child = spawn('npm', ['start', '--silent'], {
    cwd: root,
    env: {
      ...process.env,
      GATEWAY_OPS_PORT: '0',
      GATEWAY_PORT: '0',
      COLLECTOR_OPS_PORT: '0',
      ALERTER_OPS_PORT: '0',
      NOTIFIER_OPS_PORT: '0',
      EMBEDDED_MONGO_PORT: '0',
      EMBEDDED_SMTP_PORT: '0',
      TICKWATCH_DATA_DIR: dataDir,
      START_LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const records: LogRecord[] = [];
  let pending = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('{')) records.push(JSON.parse(line) as LogRecord);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  return {
    dataDir,
    records,
    stderr: () => stderr,
    waitFor: (description, match, timeoutMs = 60_000) =>
      pollUntil(description, () => records.find(match), { timeoutMs, intervalMs: 50 }),
    pids: () =>
      records.flatMap((r) => (r.service === 'start' && typeof r.pid === 'number' ? [r.pid] : [])),
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const exit = await exited;
      rmSync(dataDir, { recursive: true, force: true });
      return exit;
    },
  };
}

/** The ticker's first quote as the gateway serves it, once the simulated market has made one. */
export function firstQuote(user: GraphQLClient, ticker: string): Promise<{ price: number }> {
  return pollUntil(
    `a simulated ${ticker} quote`,
    async () => {
      const { quotes } = await user.request<{ quotes: { quote: { price: number } | null }[] }>(
        QUOTES,
        { tickers: [ticker] },
      );
      return quotes[0]?.quote ?? undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}
