import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import {
  createTestVhost,
  TEST_BROKER_URL,
  type TestVhost,
} from '@tickwatch/infra/messaging/testing';
import { pollUntil } from '@tickwatch/infra/testing';
import { answers, freePort } from './network.ts';
import { processRuns } from './process-state.ts';
import { ensureBroker, probeBroker, type BrokerOptions } from './rabbitmq.ts';
import { findRabbitmqServer, localNodeName } from './rabbitmq-node.ts';
import { StartError } from './start-error.ts';

const logger = pino({ level: 'silent' });

function options(url: string, overrides: Partial<BrokerOptions> = {}): BrokerOptions {
  return { url, dir: path.join(tmpdir(), 'unused'), logger, onNodeLine: () => {}, ...overrides };
}

async function startError(promise: Promise<unknown>): Promise<StartError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).to.be.instanceOf(StartError);
  return error as StartError;
}

describe('npm start: the broker', function () {
  let vhost: TestVhost;
  before(async () => {
    vhost = await createTestVhost('start-broker');
  });
  after(async () => {
    await vhost.delete();
  });

  it('uses the broker at RABBITMQ_URL when it answers, and starts nothing', async () => {
    const broker = await ensureBroker(options(vhost.url, { rabbitmqServer: '/nonexistent' }));
    expect(broker.url).to.equal(vhost.url);
    expect(broker.description).to.match(/^RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:5672\//);
    await broker.stop();
  });

  it('says how to get a broker when nothing answers and rabbitmq-server is not installed', async () => {
    const url = `amqp://guest:guest@127.0.0.1:${await freePort()}`;
    const error = await startError(ensureBroker(options(url, { rabbitmqServer: undefined })));
    expect(error.message).to.include('nothing answers at amqp://guest:***@127.0.0.1:');
    expect(error.message).to.include('sudo apt-get install rabbitmq-server');
    expect(error.message).to.include('docker compose up -d rabbitmq');
    expect(error.exitCode).to.equal(69);
  });

  it("gives the broker's reason when it refuses the account, and starts no node", async () => {
    const url = new URL(vhost.url);
    url.password = 'wrong';
    const error = await startError(ensureBroker(options(url.toString())));
    expect(error.message).to.match(/did not accept tickwatch: .*ACCESS.REFUSED/);
    expect(error.message).to.include('amqp://guest:***@');
  });

  describe('a project-local node', function () {
    this.timeout(120_000);
    let dir: string;
    before(function () {
      // .ci/run installs the package; without it this path cannot be exercised at all.
      if (!findRabbitmqServer()) throw new Error('rabbitmq-server is not installed (see .ci/run)');
      dir = mkdtempSync(path.join(tmpdir(), 'tickwatch-rabbitmq-'));
    });
    after(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it("starts on the URL's port with its account and vhost, apart from the shared broker, and stops leaving nothing", async () => {
      const port = await freePort();
      const url = `amqp://tickwatch:s3cret@127.0.0.1:${port}/local-test`;
      const broker = await ensureBroker(options(url, { dir }));
      let beam: number | undefined;
      try {
        expect(broker.description).to.include(`local RabbitMQ node ${localNodeName(port)}`);
        expect((await probeBroker(url)).outcome).to.equal('ok');
        expect(existsSync(path.join(dir, 'mnesia', localNodeName(port)))).to.be.true;
        expect(existsSync(path.join(dir, '.erlang.cookie'))).to.be.true;
        beam = Number(readFileSync(path.join(dir, 'node.pid'), 'utf8'));
        expect(processRuns(beam)).to.be.true;
      } finally {
        await broker.stop();
      }
      await pollUntil('the node to be gone', () => !processRuns(beam));
      expect(await answers('127.0.0.1', port)).to.be.false;
      expect((await probeBroker(TEST_BROKER_URL)).outcome, 'the shared broker').to.equal('ok');
    });
  });
});
