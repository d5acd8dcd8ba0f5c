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

await runMain('traced-service', settings, 'TRACED_OPS_PORT', async (context) => {
  const mongo = await startEmbeddedMongo({ logger: context.logger });
  const client = await new MongoClient(mongo.uri).connect();
  context.add({ name: 'mongo', stop: () => mongo.stop() });
  context.add({ name: 'mongo client', stop: () => client.close() });
  context.route('/relay', async (request, response) => {
    const answer = await fetch(`http://${request.headers.host ?? ''}/echo`);
    response.end(await answer.text());
  });
  context.route('/echo', (_request, response) => {
    context.logger.info('echoing');
    response.end('echo');
  });
  context.route('/mongo', async (_request, response) => {
    const quotes = client.db('traced').collection('quotes');
    await quotes.insertOne({ ticker: 'AAPL', price: 200 });
    response.end(JSON.stringify(await quotes.countDocuments({ ticker: 'AAPL' })));
  });
});
