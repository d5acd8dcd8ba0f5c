/**
 * One vhost per test suite, created before and deleted after it, so suites never see each
 * other's queues and a crashed suite leaves nothing in the shared `/` vhost.
 */
import { randomBytes } from 'node:crypto';
import { addVhost, closeAllConnections, deleteVhost } from './rabbitmqctl.ts';

/** Base URL of the broker used by tests (credentials, host, port; no vhost). */
export const TEST_BROKER_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export interface TestVhost {
  readonly name: string;
  /** URL of this vhost on the broker. */
  readonly url: string;
  /** URL of this vhost through a local proxy port (the fault proxy). */
  urlVia(port: number): string;
  closeAllConnections(reason?: string): Promise<void>;
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
  return {
    name,
    url: urlFor(base.hostname, base.port || '5672'),
    urlVia: (port) => urlFor('127.0.0.1', String(port)),
    closeAllConnections: (reason = 'test: cut connections') => closeAllConnections(name, reason),
    delete: () => deleteVhost(name),
  };
}
