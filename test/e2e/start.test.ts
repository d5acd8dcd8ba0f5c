/**
 * The embedded default as a user runs it: `npm start` (real processes: MongoDB, the SMTP sink,
 * the four services; the shared broker, on a vhost of this suite), then the mission through
 * GraphQL, the demo, a crash, and the stop.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { createTestVhost, type TestVhost } from '@tickwatch/infra/messaging/testing';
import { pollUntil } from '@tickwatch/infra/testing';
import { processRuns } from '../../scripts/start/process-state.ts';
import { graphqlClient, type GraphQLClient } from '../../scripts/demo/graphql.ts';
import { watchMailFolder } from '../../scripts/demo/mail-folder.ts';
import { CREATE_RULE, REGISTER } from '../../scripts/demo/operations.ts';
import { verifyByEmail } from '../../scripts/demo/verify-email.ts';
import { firstQuote, npmStart, type LogRecord, type NpmStart } from './npm-start.ts';

const isReady = async (ops: string) => (await fetch(`${ops}/readyz`)).status === 200;
const started = (name: string) => (record: LogRecord) =>
  new RegExp(`^${name} started \\(pid \\d+\\)$`).test(record.msg);

describe('npm start (the embedded default, as real processes)', function () {
  this.timeout(180_000);
  let vhost: TestVhost;
  let run: NpmStart | undefined;
  let ready: LogRecord;
  let gateway: GraphQLClient;
  /** The user of the mission test, deleted by the deletion test. */
  let missionUser: GraphQLClient | undefined;

  before(async () => {
    vhost = await createTestVhost('npm-start');
    run = npmStart({ RABBITMQ_URL: vhost.url });
    ready = await run.waitFor(
      '"tickwatch is ready"',
      (r) => r.msg === 'tickwatch is ready',
      120_000,
    );
    gateway = graphqlClient(ready.graphql as string);
  });
  after(async () => {
    await run?.stop('SIGTERM');
    await vhost.delete();
  });

  it('brings every service up, each ready, the GraphQL endpoint answering', async () => {
    const services = ready.services as { name: string; ops: string }[];
    expect(services.map((s) => s.name)).to.deep.equal([
      'gateway',
      'collector',
      'alerter',
      'notifier',
    ]);
    for (const { ops } of services) expect(await isReady(ops), ops).to.be.true;
    const { ping } = await gateway.request<{ ping: { ready: boolean } }>('{ ping { ready } }');
    expect(ping.ready).to.be.true;
    expect(ready.mailDir).to.equal(path.join(run!.dataDir, 'mail'));
  });

  it('registers, verifies by the emailed link, then turns a rule into an alert and an email (.eml, one log line)', async () => {
    const email = 'e2e@example.com';
    const mail = await watchMailFolder(ready.mailDir as string, email);
    const { register } = await gateway.request<{
      register: { accessToken: string; user: { emailVerified: boolean } };
    }>(REGISTER, { email, password: 'e2e-correct-horse-42' });
    // Verification is required by default: the link of the .eml the sink wrote.
    expect(register.user.emailVerified).to.equal(false);
    const verification = await verifyByEmail(mail, 30_000);
    expect(verification.email.subject).to.equal('Verify your email address for tickwatch');
    expect(verification.outcome).to.equal('Address verified');
    const user = gateway.withToken(register.accessToken);
    missionUser = user;
    const { me } = await user.request<{ me: { emailVerified: boolean } }>(
      '{ me { emailVerified } }',
    );
    expect(me.emailVerified).to.equal(true);
    const quote = await firstQuote(user, 'AAPL');
    // Already true: a ONCE rule fires on the ticker's next quote.
    const threshold = Math.floor(quote.price * 0.9);
    await user.request(CREATE_RULE, {
      input: { ticker: 'AAPL', condition: { above: { threshold } } },
    });
    const alert = await pollUntil(
      'the alert',
      async () => {
        const { alerts } = await user.request<{
          alerts: { edges: { node: { ticker: string; price: number } }[] };
        }>('{ alerts(first: 5) { edges { node { ticker price } } } }');
        return alerts.edges[0]?.node;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(alert.ticker).to.equal('AAPL');
    expect(alert.price).to.be.at.least(threshold);

    const logged = await run!.waitFor('the sink logging the email', (r) => {
      const to = r.to as string[] | undefined;
      return (
        r.service === 'mail-sink' && Boolean(to?.includes(email)) && /AAPL/.test(String(r.subject))
      );
    });
    const file = logged.file as string;
    expect(path.dirname(file)).to.equal(ready.mailDir);
    expect(await readdir(ready.mailDir as string)).to.include(path.basename(file));
    const eml = await readFile(file, 'utf8');
    expect(eml).to.match(new RegExp(`^To: ${email}`, 'm'));
    expect(eml).to.match(/^Subject: .*AAPL/m);
  });

  it('deleting the account leaves no personal data in any database (gateway, collector, alerter, notifier)', async () => {
    const email = 'e2e@example.com';
    expect(missionUser, 'the mission test ran first').to.not.equal(undefined);
    const mongo = await run!.waitFor(
      'the MongoDB URI',
      (r) => r.service === 'mongo-embedded' && Boolean(r.uri),
    );
    const client = await MongoClient.connect(mongo.uri as string);
    try {
      /** Every document of every database that holds the address anywhere in it. */
      const holding = async () => {
        const found: string[] = [];
        const { databases } = await client.db('admin').admin().listDatabases();
        for (const { name } of databases) {
          if (!name.startsWith('tickwatch')) continue;
          for (const { name: collection } of await client.db(name).listCollections().toArray()) {
            for (const doc of await client.db(name).collection(collection).find().toArray()) {
              if (JSON.stringify(doc).includes(email)) found.push(`${name}.${collection}`);
            }
          }
        }
        return found;
      };
      const before = await holding();
      // The test proves something only if the address was there: the gateway's user and the
      // notifier's recipient hold it.
      expect(before).to.include.members([
        'tickwatch_gateway.users',
        'tickwatch_notifier.recipients',
      ]);
      await missionUser!.request('mutation { deleteAccount(password: "e2e-correct-horse-42") }');
      await pollUntil(
        'no database holding the address',
        async () => ((await holding()).length === 0 ? true : undefined),
        { timeoutMs: 30_000, intervalMs: 500 },
      );
    } finally {
      await client.close();
    }
  });

  it('a registration with a verified address answers alike, the owner gets a notice with a working reset link, the registrant nothing at that address', async () => {
    const email = 'taken@example.org';
    const mail = await watchMailFolder(ready.mailDir as string, email);
    const REGISTER_ANSWER = `mutation ($email: String!, $password: String!) { register(email: $email, password: $password) { accessToken user { email emailVerified pendingEmail } } }`;
    interface Answer {
      register: { accessToken: string; user: Record<string, unknown> };
    }
    const first = await gateway.request<Answer>(REGISTER_ANSWER, {
      email,
      password: 'the owner passphrase 1',
    });
    await verifyByEmail(mail, 30_000);
    const second = await gateway.request<Answer>(REGISTER_ANSWER, {
      email,
      password: 'the squatter passphrase 2',
    });
    expect(second.register.user).to.deep.equal(first.register.user);
    expect(second.register.user).to.deep.equal({ email, emailVerified: false, pendingEmail: null });

    // The owner's notice, with a reset link that works (GET: the form; POST: the new password).
    const notice = await pollUntil(
      'the notice',
      async () => (await mail.newEmails()).find((m) => /Someone tried/.test(m.subject)),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(notice.subject).to.equal('Someone tried to register with your address on tickwatch');
    const link = /https?:\/\/\S+\/reset-password\?token=[\w.-]+/.exec(notice.text)?.[0];
    expect(link, notice.text).to.be.a('string');
    expect(await (await fetch(link!)).text()).to.include('name="newPassword"');
    const reset = await fetch(link!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ newPassword: 'the owner new passphrase 3' }).toString(),
    });
    expect(reset.status).to.equal(200);
    const { login } = await gateway.request<{ login: { accessToken: string } }>(
      'mutation { login(email: "taken@example.org", password: "the owner new passphrase 3") { accessToken } }',
    );
    expect(login.accessToken).to.be.a('string');

    // The registrant's test email is refused by the notifier (an address it does not own), and
    // no email for it reaches the address.
    const squatter = gateway.withToken(second.register.accessToken);
    await squatter.request('mutation { sendTestNotification(channels: [EMAIL]) { requestId } }');
    const refused = await pollUntil(
      'the test notification refused',
      async () => {
        const { notifications } = await squatter.request<{
          notifications: { edges: { node: { status: string; code: string | null } }[] };
        }>('{ notifications(first: 5) { edges { node { status code } } } }');
        return notifications.edges.find((e) => e.node.status === 'FAILED')?.node;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(refused.code).to.equal('UNVERIFIED');
    expect(await mail.newEmails()).to.deep.equal([]);
  });

  it('npm run demo shows a price, an alert and an email within its time limit', async () => {
    const demo = spawn(
      'npm',
      ['run', 'demo', '--silent', '--', '--until-email', '--timeout', '90'],
      {
        cwd: path.join(import.meta.dirname, '../..'),
        env: {
          ...process.env,
          GATEWAY_PORT: new URL(ready.graphql as string).port,
          TICKWATCH_DATA_DIR: run!.dataDir,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => demo.once('exit', resolve));
    expect(code, output).to.equal(0);
    expect(output).to.match(/^prices: AAPL \d/m);
    expect(output).to.match(/ ALERT {2}\w+ at /);
    expect(output).to.match(/ email {2}.*\.eml {2}"/);
  });

  it('restarts a service that crashes, and logs the restart', async () => {
    const alerter = await run!.waitFor('the alerter pid', started('alerter'));
    process.kill(alerter.pid as number, 'SIGKILL');
    await run!.waitFor('the restart to be logged', (r) =>
      /^alerter killed by SIGKILL; restarting in \d+\.\d s \(restart 1\)$/.test(r.msg),
    );
    await run!.waitFor('the new alerter', (r) => started('alerter')(r) && r.pid !== alerter.pid);
    const ops = (ready.services as { name: string; ops: string }[])[2]!.ops;
    await pollUntil('the restarted alerter to be ready', () => isReady(ops), { timeoutMs: 60_000 });
  });

  it('stops everything on SIGTERM, exits with status 0 and leaves no process behind', async () => {
    const pids = run!.pids();
    // MongoDB, the SMTP sink, four services, the restarted alerter.
    expect(pids.length).to.be.at.least(7);
    const exit = await run!.stop('SIGTERM');
    run = undefined;
    expect(exit).to.deep.equal({ code: 0, signal: null });
    for (const pid of pids) expect(processRuns(pid), `pid ${pid}`).to.be.false;
  });
});

describe('npm start without a usable broker', function () {
  this.timeout(60_000);

  it('says why in one message, no stack trace, exits 69, having started nothing', async () => {
    const vhost = await createTestVhost('npm-start-refused');
    const url = new URL(vhost.url);
    url.password = 'wrong';
    const run = npmStart({ RABBITMQ_URL: url.toString() });
    try {
      const exit = await run.exited;
      expect(exit.code, run.stderr()).to.equal(69);
      expect(run.stderr()).to.match(
        /tickwatch: RabbitMQ at amqp:\/\/guest:\*\*\*@.* did not accept tickwatch/,
      );
      expect(run.stderr()).not.to.match(/^\s+at /m);
      expect(run.pids()).to.deep.equal([]);
    } finally {
      await run.stop();
      await vhost.delete();
    }
  });
});
