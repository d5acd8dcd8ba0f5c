/**
 * The embedded server's metrics: commands by name and outcome (unknown names bounded), command
 * latency, open connections and cursors, journal bytes; in the registry of the process the
 * server runs in, and on /metrics of `npm run mongo:embedded -- --metrics-port`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { processMetrics } from '../../telemetry/metrics.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from './index.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');

/** `name{labels} value` samples of the exposition text, by their full text before the value. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const [series = '', value = ''] = line.split(' # ')[0]?.split(/ (?=[^ ]+$)/) ?? [];
    found.set(series, Number(value));
  }
  return found;
}

const scrape = async (): Promise<Map<string, number>> =>
  samples(await processMetrics.registry.metrics());

describe('embedded MongoDB metrics', function () {
  let dataDir: string;
  let server: EmbeddedMongo;
  let client: MongoClient;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tickwatch-mongo-metrics-'));
    server = await startEmbeddedMongo({ dataDir, logger: pino({ level: 'silent' }) });
    client = await new MongoClient(server.uri).connect();
  });

  after(async () => {
    await client.close();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('counts commands by name and outcome, with unknown names as `unknown`', async () => {
    const okInserts = 'tickwatch_mongo_commands_total{command="insert",outcome="ok"}';
    const failedInserts = 'tickwatch_mongo_commands_total{command="insert",outcome="error"}';
    const unknown = 'tickwatch_mongo_commands_total{command="unknown",outcome="error"}';
    const before = await scrape();
    const collection = client.db('metrics').collection<{ _id: number }>('docs');
    await collection.insertOne({ _id: 1 });
    await collection.insertOne({ _id: 1 }).catch(() => undefined); // duplicate key
    await client
      .db('metrics')
      .command({ someoneElsesFreeText: 1 })
      .catch(() => undefined);
    const after = await scrape();

    const delta = (series: string): number => (after.get(series) ?? 0) - (before.get(series) ?? 0);
    // A write error (duplicate key) is a reply with ok: 1 and writeErrors, as on mongod.
    expect(delta(okInserts)).to.equal(2);
    expect(delta(failedInserts)).to.equal(0);
    expect(delta(unknown)).to.equal(1);
    expect([...after.keys()].some((series) => series.includes('someoneElsesFreeText'))).to.equal(
      false,
    );
    expect(delta('tickwatch_mongo_command_duration_seconds_count{command="insert"}')).to.equal(2);
  });

  it('reports open connections, open cursors and the journal’s size', async () => {
    const collection = client.db('metrics').collection<{ _id: number }>('many');
    await collection.insertMany(Array.from({ length: 300 }, (_, i) => ({ _id: i })));
    const cursor = collection.find({}, { batchSize: 10 });
    await cursor.next(); // the server keeps the cursor for the next getMore

    const current = await scrape();
    expect(current.get('tickwatch_mongo_connections')).to.be.at.least(1);
    expect(current.get('tickwatch_mongo_open_cursors')).to.be.at.least(1);
    expect(current.get('tickwatch_mongo_journal_bytes')).to.be.greaterThan(0);

    await cursor.close();
    expect((await scrape()).get('tickwatch_mongo_open_cursors')).to.equal(
      (current.get('tickwatch_mongo_open_cursors') ?? 0) - 1,
    );
  });

  it('serves them on /metrics of npm run mongo:embedded -- --metrics-port', async function () {
    this.timeout(30_000);
    const child = spawn(
      process.execPath,
      ['scripts/mongo-embedded.ts', '--port', '0', '--metrics-port', '0'],
      {
        cwd: repoRoot,
        env: { ...process.env, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const lines = createInterface({ input: child.stdout });
      const found: { uri?: string; port?: number } = {};
      await new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => {
          reject(new Error(`server process exited early (${String(code)})`));
        });
        lines.on('line', (line) => {
          const entry = JSON.parse(line) as { MONGO_URL?: string; port?: number; msg?: string };
          if (entry.MONGO_URL) found.uri = entry.MONGO_URL;
          if (entry.msg?.startsWith('metrics on')) found.port = entry.port;
          if (found.uri && found.port !== undefined) resolve();
        });
      });
      const remote = await new MongoClient(found.uri ?? '').connect();
      await remote.db('metrics').collection('docs').insertOne({ n: 1 });
      await remote.close();

      const response = await fetch(`http://127.0.0.1:${String(found.port)}/metrics`);
      expect(response.status).to.equal(200);
      const text = await response.text();
      expect(
        samples(text).get('tickwatch_mongo_commands_total{command="insert",outcome="ok"}'),
      ).to.equal(1);
      expect((await fetch(`http://127.0.0.1:${String(found.port)}/other`)).status).to.equal(404);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
