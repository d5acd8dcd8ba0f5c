import {
  alerterPartitionQueue,
  bindingPattern,
  EVENT_LOG_STREAM,
  PARTITIONS,
  QUEUES,
  RETRY_TIERS,
} from '@tickwatch/contracts';
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { connectAmqplib } from '../amqplib-adapter.ts';
import { MessagingErrorCode, TopologyMismatchError } from '../errors.ts';
import { rabbitmqctl } from '../testing/rabbitmqctl.ts';
import { testMessaging, testTopology } from '../testing/fixtures.ts';
import { createTestVhost, type TestVhost } from '../testing/test-vhost.ts';
import { declareTopology } from './declare.ts';
import type { QueueSpec } from './model.ts';
import { documentedTopology, readmeWithTable, topologyMarkdown } from './readme-table.ts';
import { gatewayLiveQueueSpec, tickwatchTopology } from './tickwatch.ts';

describe('topology description', () => {
  const topology = tickwatchTopology();
  const queue = (name: string): QueueSpec => {
    const found = topology.queues.find((q) => q.name === name);
    if (!found) throw new Error(`no queue ${name}`);
    return found;
  };

  it('uses the production retry tiers from contracts by default', () => {
    expect(topology.retryTiers).to.deep.equal(RETRY_TIERS);
    expect(topology.exchanges.map((e) => e.name)).to.include.members([
      'tickwatch.events',
      'tickwatch.dlx',
      'tickwatch.retry.5s',
      'tickwatch.retry.30s',
      'tickwatch.retry.5m',
    ]);
  });

  it('gives every work queue quorum arguments, a delivery limit ≥ 20 and its own DLQ', () => {
    const work = topology.queues.filter((q) => q.role === 'work' || q.role === 'ordered');
    expect(work).to.have.length(3 + PARTITIONS);
    for (const q of work) {
      expect(q.arguments).to.include({
        'x-queue-type': 'quorum',
        'x-dead-letter-exchange': 'tickwatch.dlx',
        'x-dead-letter-routing-key': q.name,
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
      });
      expect(q.arguments['x-delivery-limit']).to.be.at.least(20);
      const dlq = queue(`${q.name}.dlq`);
      expect(dlq.arguments).to.not.have.property('x-delivery-limit');
      expect(dlq.bindings).to.deep.equal([{ exchange: 'tickwatch.dlx', pattern: q.name }]);
    }
  });

  it('refuses a delivery limit below the crash-loop guard', () => {
    expect(() => tickwatchTopology({ deliveryLimit: 5 })).to.throw(RangeError, /≥ 20/);
  });

  it('binds each alerter partition to its own quotes and rule events, single active consumer', () => {
    for (let p = 0; p < PARTITIONS; p++) {
      const q = queue(alerterPartitionQueue(p));
      expect(q.role).to.equal('ordered');
      expect(q.arguments['x-single-active-consumer']).to.equal(true);
      expect(q.bindings.map((b) => b.pattern)).to.deep.equal([
        `price.updated.p${p}.*`,
        `rule.*.p${p}.*`,
      ]);
    }
  });

  it('binds the shared work queues as DESIGN.md §1 says', () => {
    const patterns = (name: string) => queue(name).bindings.map((b) => b.pattern);
    expect(patterns(QUEUES.collectorWatchlist)).to.deep.equal([
      'rule.*.*.*',
      'watch.*.*.*',
      'interest.renewed.*.*',
      'user.deleted',
    ]);
    expect(patterns(QUEUES.notifierDeliveries)).to.deep.equal([
      'alert.triggered.*.*',
      'notification.requested',
      'user.*',
      'account.*',
    ]);
    expect(patterns(QUEUES.gatewayReadModels)).to.deep.equal([
      'price.updated.*.*',
      'averages.updated',
      'alert.triggered.*.*',
      'ticker.rejected.*.*',
      'notification.*',
    ]);
  });

  it('binds the event log to what is consumed, never to # (mandatory must still catch strays)', () => {
    const log = queue(EVENT_LOG_STREAM);
    expect(log.arguments).to.include({ 'x-queue-type': 'stream', 'x-max-age': '7D' });
    const patterns = log.bindings.map((b) => b.pattern);
    expect(patterns).to.not.include('#');
    for (const event of [
      'price.updated',
      'rule.*',
      'user.*',
      'alert.triggered',
      'notification.*',
    ]) {
      expect(patterns).to.include(bindingPattern(event));
    }
    // Account emails carry signed links: consumed by the notifier, never kept in the log.
    expect(patterns).to.not.include('account.*');
  });

  it('is what the README’s topology tables show (regenerate: node infra/src/messaging/topology/update-readme.ts)', async () => {
    const file = path.join(import.meta.dirname, '..', 'README.md');
    const readme = await readFile(file, 'utf8');
    const expected = await readmeWithTable(file, readme, topologyMarkdown(documentedTopology()));
    expect(readme === expected, 'README topology table is out of date').to.be.true;
  });

  it('describes the live queue as classic, exclusive, auto-delete, bounded and expiring', () => {
    const live = gatewayLiveQueueSpec('gw-1');
    expect(live).to.include({
      name: 'gateway.live.gw-1',
      durable: false,
      exclusive: true,
      autoDelete: true,
    });
    expect(live.arguments).to.deep.equal({
      'x-max-length': 10_000,
      'x-overflow': 'drop-head',
      'x-message-ttl': 60_000,
    });
  });
});

describe('topology declaration (real RabbitMQ)', function () {
  let vhost: TestVhost;

  beforeEach(async () => {
    vhost = await createTestVhost('topology');
  });
  afterEach(async () => {
    await vhost.delete();
  });

  const connect = () =>
    connectAmqplib({
      url: vhost.url,
      heartbeatSeconds: 0,
      connectTimeoutMs: 3_000,
      connectionName: 'test-topology',
      onClosed: () => {},
    });

  interface BrokerQueue {
    name: string;
    type: string;
    arguments: [string, string, unknown][];
  }

  it('declares exactly the description, and declaring it again changes nothing', async () => {
    const topology = testTopology();
    const connection = await connect();
    try {
      await declareTopology(connection, topology);
      await declareTopology(connection, topology);
    } finally {
      await connection.close();
    }
    const queues = JSON.parse(
      await rabbitmqctl(
        'list_queues',
        '-p',
        vhost.name,
        'name',
        'type',
        'arguments',
        '--formatter',
        'json',
      ),
    ) as BrokerQueue[];
    expect(queues.map((q) => q.name).sort()).to.deep.equal(
      topology.queues.map((q) => q.name).sort(),
    );
    for (const spec of topology.queues) {
      const actual = queues.find((q) => q.name === spec.name);
      const args = Object.fromEntries(actual?.arguments.map(([k, , v]) => [k, v]) ?? []);
      expect(args, spec.name).to.deep.equal(spec.arguments);
    }
    const bindings = JSON.parse(
      await rabbitmqctl(
        'list_bindings',
        '-p',
        vhost.name,
        'source_name',
        'destination_name',
        'routing_key',
        '--formatter',
        'json',
      ),
    ) as { source_name: string; destination_name: string; routing_key: string }[];
    const actual = bindings
      .filter((b) => b.source_name !== '')
      .map((b) => `${b.source_name} -> ${b.destination_name} : ${b.routing_key}`)
      .sort();
    const expected = topology.queues
      .flatMap((q) => q.bindings.map((b) => `${b.exchange} -> ${q.name} : ${b.pattern}`))
      .sort();
    expect(actual).to.deep.equal(expected);
  });

  it('stops start-up with every mismatched queue and argument named, instead of a channel crash', async () => {
    const connection = await connect();
    try {
      const channel = await connection.openChannel({ closed: () => {} }, { confirm: false });
      // What an older release (or a hand-made queue) left behind.
      await channel.assertQueue('alerter.p3', {
        durable: true,
        exclusive: false,
        autoDelete: false,
        arguments: {
          'x-queue-type': 'quorum',
          'x-dead-letter-exchange': 'tickwatch.dlx',
          'x-dead-letter-routing-key': 'alerter.p3',
          'x-dead-letter-strategy': 'at-least-once',
          'x-overflow': 'reject-publish',
          'x-delivery-limit': 30,
          'x-single-active-consumer': true,
        },
      });
      await channel.assertQueue(QUEUES.collectorWatchlist, {
        durable: true,
        exclusive: false,
        autoDelete: false,
        arguments: {},
      });
      await channel.close();
    } finally {
      await connection.close();
    }
    const messaging = testMessaging(vhost.url);
    const error = await messaging.start().then(
      () => null,
      (e: unknown) => e,
    );
    await messaging.close();
    expect(error).to.be.instanceOf(TopologyMismatchError);
    const mismatch = error as TopologyMismatchError;
    expect(mismatch.code).to.equal(MessagingErrorCode.topologyMismatch);
    expect(mismatch.mismatches.map((m) => [m.name, m.argument])).to.deep.equal([
      // The broker names the first argument it finds different, one per queue.
      [QUEUES.collectorWatchlist, 'x-dead-letter-exchange'],
      ['alerter.p3', 'x-delivery-limit'],
    ]);
    expect(mismatch.message).to.contain('queue "alerter.p3": argument x-delivery-limit differs');
    expect(mismatch.message).to.contain('Migrating queue arguments');
    expect(messaging.state).to.equal('closed');
  });
});
