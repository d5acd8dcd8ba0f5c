import { expect } from 'chai';
import { startEmbeddedMongo, type EmbeddedMongo } from './embedded/index.ts';
import { connectMongo, serviceDatabase } from './connection.ts';
import { createLogger } from '../log.ts';

const logger = createLogger({ name: 'test-mongo-connection', level: 'silent' });

describe('connectMongo', () => {
  let server: EmbeddedMongo;
  before(async () => {
    server = await startEmbeddedMongo({ logger });
  });
  after(() => server.stop());

  it("connects to the service's own database and reports readiness until stopped", async () => {
    const mongo = await connectMongo({ url: server.uri, service: 'collector', logger });
    expect(mongo.dbName).to.equal(serviceDatabase('collector'));
    expect(mongo.connection.db?.databaseName).to.equal('tickwatch_collector');
    expect(mongo.ready?.()).to.equal(true);
    await mongo.stop();
    expect(mongo.ready?.()).to.equal(false);
  });

  it('fails start-up when no server answers in time', async () => {
    const error = await connectMongo({
      url: 'mongodb://127.0.0.1:1',
      service: 'collector',
      serverSelectionTimeoutMs: 300,
    }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.name).to.equal('MongooseServerSelectionError');
  });
});
