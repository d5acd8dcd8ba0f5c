/**
 * rabbitmqctl for test fixtures: vhosts per suite, and cutting a vhost's connections. Never
 * anything that stops or resets the shared broker.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', ['--quiet', ...args], { timeout: 30_000 });
  return stdout;
}

export async function addVhost(vhost: string, user = 'guest'): Promise<void> {
  await rabbitmqctl('add_vhost', vhost);
  await rabbitmqctl('set_permissions', '-p', vhost, user, '.*', '.*', '.*');
}

export async function deleteVhost(vhost: string): Promise<void> {
  await rabbitmqctl('delete_vhost', vhost);
}

/** Closes every client connection of one vhost, as a broker-side disconnect would. */
export async function closeAllConnections(vhost: string, reason: string): Promise<void> {
  await rabbitmqctl('close_all_connections', '--vhost', vhost, '--limit', '1000', reason);
}

/** Deletes a queue as an operator would; its consumers get a cancel notification. */
export async function deleteQueue(vhost: string, queue: string): Promise<void> {
  await rabbitmqctl('delete_queue', '--vhost', vhost, queue);
}

/** Sets a queue policy (e.g. a length limit), which applies to matching queues in place. */
export async function setQueuePolicy(
  vhost: string,
  name: string,
  pattern: string,
  definition: Record<string, unknown>,
): Promise<void> {
  await rabbitmqctl(
    'set_policy',
    '--vhost',
    vhost,
    '--apply-to',
    'queues',
    name,
    pattern,
    JSON.stringify(definition),
  );
}

export async function clearQueuePolicy(vhost: string, name: string): Promise<void> {
  await rabbitmqctl('clear_policy', '--vhost', vhost, name);
}
