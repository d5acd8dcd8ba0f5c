/**
 * Runs the embedded MongoDB server on its own, for services started by hand or a local shell:
 *
 *   npm run mongo:embedded -- --port 27017 --data ./var/mongo
 *
 * Logs the URI to use as MONGO_URL; stops cleanly (journal flushed) on SIGINT/SIGTERM.
 * Without --data the data lives in memory and is gone when the process ends.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { createLogger } from '../infra/src/log.ts';
import { startEmbeddedMongo } from '../infra/src/mongo/embedded/index.ts';
import { metricsHandler } from '../infra/src/telemetry/metrics-endpoint.ts';

const usage = `usage: npm run mongo:embedded -- [--port 27017] [--host 127.0.0.1] [--data DIR] [--ttl-sweep-ms 60000] [--max-conns 10000] [--metrics-port N]
  --port          TCP port (default 27017; 0 picks a free one)
  --host          address to bind (default 127.0.0.1; the server has no authentication)
  --data          data directory (journal + snapshots); in memory when absent
  --ttl-sweep-ms  how often TTL indexes are swept (default 60000, as mongod)
  --max-conns     open connections accepted at once (default 10000; mongod's --maxConns)
  --metrics-port  serve the server's metrics (tickwatch_mongo_*) on http://host:N/metrics`;

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '27017' },
    host: { type: 'string', default: '127.0.0.1' },
    data: { type: 'string' },
    'ttl-sweep-ms': { type: 'string', default: '60000' },
    'max-conns': { type: 'string', default: '10000' },
    'metrics-port': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (values.help) {
  console.log(usage);
  process.exit(0);
}

const isPort = (value: number): boolean => Number.isInteger(value) && value >= 0 && value <= 65535;
const port = Number(values.port);
const metricsPort =
  values['metrics-port'] === undefined ? undefined : Number(values['metrics-port']);
const ttlSweepIntervalMs = Number(values['ttl-sweep-ms']);
const maxIncomingConnections = Number(values['max-conns']);
if (
  !Number.isInteger(maxIncomingConnections) ||
  maxIncomingConnections < 1 ||
  !isPort(port) ||
  (metricsPort !== undefined && !isPort(metricsPort)) ||
  !Number.isInteger(ttlSweepIntervalMs) ||
  ttlSweepIntervalMs < 1
) {
  console.error(usage);
  process.exit(2);
}

const logger = createLogger({ name: 'mongo-embedded', level: process.env.LOG_LEVEL ?? 'info' });
const mongo = await startEmbeddedMongo({
  port,
  host: values.host,
  dataDir: values.data,
  ttlSweepIntervalMs,
  maxIncomingConnections,
  logger,
}).catch((error: unknown) => {
  // A busy port or a data directory in use: say so in one line, not a stack trace.
  logger.fatal(
    { err: error },
    `cannot start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
logger.info({ MONGO_URL: mongo.uri }, `export MONGO_URL=${mongo.uri}`);

if (metricsPort !== undefined) {
  const serveMetrics = metricsHandler();
  const metricsServer = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/metrics')
      void serveMetrics(request, response);
    else response.writeHead(404).end();
  });
  metricsServer.on('error', (error) => {
    logger.error({ err: error }, 'metrics server failed; the database carries on without /metrics');
  });
  metricsServer.listen(metricsPort, values.host, () => {
    const address = metricsServer.address();
    const bound = typeof address === 'object' && address ? address.port : metricsPort;
    logger.info({ port: bound }, `metrics on http://${values.host}:${String(bound)}/metrics`);
  });
  metricsServer.unref();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'stopping');
    mongo.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  });
}
