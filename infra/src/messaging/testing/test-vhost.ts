/**
 * One vhost per test suite, created before and deleted after it, so suites never see each
 * other's queues and a crashed suite leaves nothing in the shared `/` vhost.
 */
import { randomBytes } from 'node:crypto';
import { connectAmqplib } from '../amqplib-adapter.ts';
import type { BrokerChannel, BrokerConnection } from '../broker-channel.ts';
import {
  addVhost,
  clearQueuePolicy,
  closeAllConnections,
  deleteQueue,
  deleteVhost,
  setQueuePolicy,
} from './rabbitmqctl.ts';

/** Base URL of the broker used by tests (credentials, host, port; no vhost). */
export const TEST_BROKER_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export interface TestVhost {
  readonly name: string;
  /** URL of this vhost on the broker. */
  readonly url: string;
  /** URL of this vhost through a local proxy port (the fault proxy). */
  urlVia(port: number): string;
  closeAllConnections(reason?: string): Promise<void>;
  /** A plain connection for looking at queues (no heartbeats, no reconnects); close it after. */
  connect(): Promise<BrokerConnection>;
  /** Messages ready in `queue`, through a connection of its own (a cut cannot break it). */
  messageCount(queue: string): Promise<number>;
  /** Empties each queue, through a connection of its own. */
  purge(...queues: string[]): Promise<void>;
  /** Deletes a queue (rabbitmqctl): its consumers are cancelled by the broker. */
  deleteQueue(queue: string): Promise<void>;
  /** A queue policy on this vhost, e.g. `{ 'max-length': 1 }` for queues matching `pattern`. */
  setQueuePolicy(name: string, pattern: string, definition: Record<string, unknown>): Promise<void>;
  clearQueuePolicy(name: string): Promise<void>;
  delete(): Promise<void>;
}

export async function createTestVhost(label: string): Promise<TestVhost> {
  const name = `test-${label}-${randomBytes(4).toString('hex')}`;
  await addVhost(name);
  const base = new URL(TEST_BROKER_URL);
  const urlFor = (host: string, port: string): string => {
    const url = new URL(base.toString());
    url.hostname = host;
    url.port = port;
    url.pathname = `/${encodeURIComponent(name)}`;
    return url.toString();
  };
  const url = urlFor(base.hostname, base.port || '5672');
  const connect = (): Promise<BrokerConnection> =>
    connectAmqplib({
      url,
      heartbeatSeconds: 0,
      connectTimeoutMs: 3_000,
      connectionName: 'test-inspector',
      onClosed: () => {},
    });
  const withChannel = async <T>(use: (channel: BrokerChannel) => Promise<T>): Promise<T> => {
    const connection = await connect();
    try {
      return await use(await connection.openChannel({ closed: () => {} }, { confirm: false }));
    } finally {
      await connection.close();
    }
  };
  return {
    name,
    url,
    urlVia: (port) => urlFor('127.0.0.1', String(port)),
    closeAllConnections: (reason = 'test: cut connections') => closeAllConnections(name, reason),
    connect,
    messageCount: (queue) =>
      withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount),
    purge: (...queues) =>
      withChannel(async (channel) => {
        for (const queue of queues) await channel.purgeQueue(queue);
      }),
    deleteQueue: (queue) => deleteQueue(name, queue),
    setQueuePolicy: (policy, pattern, definition) =>
      setQueuePolicy(name, policy, pattern, definition),
    clearQueuePolicy: (policy) => clearQueuePolicy(name, policy),
    delete: () => deleteVhost(name),
  };
}
