import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { createTestVhost, type TestVhost } from '@tickwatch/infra/messaging/testing';
import { pollUntil } from '@tickwatch/infra/testing';
import { processRuns } from '../../scripts/start/process-state.ts';
import { npmStart, type NpmStart } from './npm-start.ts';

const isReady = async (ops: string) => (await fetch(`${ops}/readyz`)).status === 200;

describe('npm start (the embedded default, as real processes)', function () {
  this.timeout(120_000);
  let vhost: TestVhost;
  let run: NpmStart | undefined;
  before(async () => {
    vhost = await createTestVhost('npm-start');
  });
  afterEach(async () => {
    await run?.stop('SIGTERM');
    run = undefined;
  });
  after(async () => {
    await vhost.delete();
  });

  it('brings every service up, restarts one that crashes, and stops everything on SIGTERM with status 0', async () => {
    run = npmStart({ RABBITMQ_URL: vhost.url });
    const ready = await run.waitFor('"tickwatch is ready"', (r) => r.msg === 'tickwatch is ready');
    const services = ready.services as { name: string; ops: string }[];
    expect(services.map((s) => s.name)).to.deep.equal([
      'gateway',
      'collector',
      'alerter',
      'notifier',
    ]);
    for (const { ops } of services) expect(await isReady(ops), ops).to.be.true;
    const ping = await fetch(ready.graphql as string, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ ping { ready } }' }),
    });
    expect(await ping.json()).to.deep.equal({ data: { ping: { ready: true } } });
    expect(existsSync(path.join(run.dataDir, 'mongo'))).to.be.true;

    const started = (name: string) => (r: { msg: string }) =>
      new RegExp(`^${name} started \\(pid \\d+\\)$`).test(r.msg);
    const alerter = await run.waitFor('the alerter pid', started('alerter'));
    process.kill(alerter.pid as number, 'SIGKILL');
    await run.waitFor('the restart to be logged', (r) =>
      /^alerter killed by SIGKILL; restarting in \d+\.\d s \(restart 1\)$/.test(r.msg),
    );
    await run.waitFor('the new alerter', (r) => started('alerter')(r) && r.pid !== alerter.pid);
    await pollUntil('the restarted alerter to be ready', () => isReady(services[2]!.ops));

    const pids = run.pids();
    expect(pids.length).to.be.at.least(6); // MongoDB, four services, the restarted alerter
    const exit = await run.stop('SIGTERM');
    run = undefined;
    expect(exit).to.deep.equal({ code: 0, signal: null });
    for (const pid of pids) expect(processRuns(pid), `pid ${pid}`).to.be.false;
  });

  it('refuses to start without a usable broker, saying why in one message, no stack trace', async () => {
    const url = new URL(vhost.url);
    url.password = 'wrong';
    run = npmStart({ RABBITMQ_URL: url.toString() });
    const exit = await run.exited;
    expect(exit.code, run.stderr()).to.equal(69);
    expect(run.stderr()).to.match(
      /tickwatch: RabbitMQ at amqp:\/\/guest:\*\*\*@.* did not accept tickwatch/,
    );
    expect(run.stderr()).not.to.match(/^\s+at /m);
    for (const pid of run.pids()) expect(processRuns(pid), `pid ${pid}`).to.be.false;
  });
});
