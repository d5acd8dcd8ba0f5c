/**
 * A minimal service for the bootstrap test (bootstrap.test.ts), started like every tickwatch
 * process (launch.ts). Its operations server answers GET /relay by fetching its own /echo, and
 * GET /mongo by inserting and finding a document in an embedded MongoDB through the driver:
 * an instrumented builtin (node:http), global fetch (undici) and a CommonJS package (mongodb)
 * imported from ESM, each of which must produce spans.
 */
import { MongoClient } from 'mongodb';
import { env, setting } from '../../config.ts';
import { startEmbeddedMongo } from '../../mongo/embedded/index.ts';
import { runMain } from '../../service.ts';
import { logLevelSetting, opsHostSetting } from '../../service-settings.ts';

const settings = {
  LOG_LEVEL: logLevelSetting,
  OPS_HOST: opsHostSetting,
  TRACED_OPS_PORT: setting(env.port(), 'Port of the operations server', { default: '0' }),
};

await runMain('traced-service', settings, 'TRACED_OPS_PORT', (context) => {
  // Started on first use: most runs of this service never ask for it.
  let client: Promise<MongoClient> | undefined;
  const connect = async () => {
    const mongo = await startEmbeddedMongo({ logger: context.logger });
    context.add({ name: 'mongo', stop: () => mongo.stop() });
    const connected = await new MongoClient(mongo.uri).connect();
    context.add({ name: 'mongo client', stop: () => connected.close() });
    return connected;
  };
  context.route('/relay', async (request, response) => {
    const answer = await fetch(`http://${request.headers.host ?? ''}/echo`);
    response.end(await answer.text());
  });
  context.route('/echo', (_request, response) => {
    context.logger.info('echoing');
    response.end('echo');
  });
  context.route('/mongo', async (_request, response) => {
    client ??= connect();
    const quotes = (await client).db('traced').collection('quotes');
    await quotes.insertOne({ ticker: 'AAPL', price: 200 });
    response.end(JSON.stringify(await quotes.countDocuments({ ticker: 'AAPL' })));
  });
  return Promise.resolve();
});
