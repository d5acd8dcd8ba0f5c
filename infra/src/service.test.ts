import { expect } from 'chai';
import { createLogger } from './log.ts';
import { startService, type RunningService } from './service.ts';
import { PROMETHEUS_CONTENT_TYPE } from './telemetry/metrics-endpoint.ts';
import { createMetricsRegistry, defineMetrics, gauge } from './telemetry/metrics.ts';

const logger = createLogger({ name: 'test', level: 'silent' });

describe('startService', () => {
  let service: RunningService | undefined;
  afterEach(async () => {
    await service?.stop('test over');
    service = undefined;
  });

  const get = (path: string) => fetch(`http://127.0.0.1:${service!.port}${path}`);

  it('reports not ready while a component is not ready, naming it', async () => {
    let brokerUp = false;
    service = await startService({
      name: 'test',
      port: 0,
      logger,
      start: (context) => {
        context.add({ name: 'broker', ready: () => brokerUp, stop: () => Promise.resolve() });
        return Promise.resolve();
      },
    });
    const notReady = await get('/readyz');
    expect(notReady.status).to.equal(503);
    expect(await notReady.json()).to.deep.equal({ status: 'not ready', waiting: ['broker'] });
    brokerUp = true;
    expect((await get('/readyz')).status).to.equal(200);
    expect((await get('/healthz')).status).to.equal(200);
  });

  it('stops components in reverse order of start, once, and then stops serving', async () => {
    const stopped: string[] = [];
    service = await startService({
      name: 'test',
      port: 0,
      logger,
      start: (context) => {
        for (const name of ['mongo', 'broker', 'consumer']) {
          context.add({
            name,
            stop: () => {
              stopped.push(name);
              return Promise.resolve();
            },
          });
        }
        return Promise.resolve();
      },
    });
    const port = service.port;
    await Promise.all([service.stop('first'), service.stop('second')]);
    expect(stopped).to.deep.equal(['consumer', 'broker', 'mongo']);
    expect(service.phase()).to.equal('stopped');
    let refused = false;
    await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => (refused = true));
    expect(refused).to.equal(true);
  });

  it('serves extra routes and answers 404 and 405 otherwise', async () => {
    service = await startService({
      name: 'test',
      port: 0,
      logger,
      start: (context) => {
        context.route('/version', (_request, response) => {
          response.end('0.1.0\n');
        });
        return Promise.resolve();
      },
    });
    expect(await (await get('/version')).text()).to.equal('0.1.0\n');
    expect((await get('/nope')).status).to.equal(404);
    expect(
      (await fetch(`http://127.0.0.1:${service.port}/healthz`, { method: 'POST' })).status,
    ).to.equal(405);
  });

  it('serves the metrics registry on /metrics without being asked', async () => {
    const metrics = createMetricsRegistry();
    defineMetrics('test', { up: gauge({ name: 'up', help: 'Whether it runs' }) }, metrics).up.set(
      {},
      1,
    );
    service = await startService({
      name: 'test',
      port: 0,
      logger,
      metrics,
      start: () => Promise.resolve(),
    });
    const response = await get('/metrics');
    expect(response.headers.get('content-type')).to.equal(PROMETHEUS_CONTENT_TYPE);
    expect(await response.text()).to.equal(
      '# HELP tickwatch_test_up Whether it runs\n# TYPE tickwatch_test_up gauge\ntickwatch_test_up 1\n',
    );
  });

  it('stops what already started when start-up fails, and rethrows', async () => {
    const stopped: string[] = [];
    let caught: unknown;
    try {
      await startService({
        name: 'test',
        port: 0,
        logger,
        start: (context) => {
          context.add({
            name: 'mongo',
            stop: () => {
              stopped.push('mongo');
              return Promise.resolve();
            },
          });
          return Promise.reject(new Error('broker unreachable'));
        },
      });
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).message).to.equal('broker unreachable');
    expect(stopped).to.deep.equal(['mongo']);
  });
});
