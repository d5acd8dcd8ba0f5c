/**
 * This process's instance id: names its live queue (`gateway.live.<instance>`) and holds its
 * interest leases (`gateway:<instance>`). `<host>-<pid>-<6 hex>`: readable in the broker UI,
 * unique even when two containers share a host name and pid 1.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

let cached: string | undefined;

export function instanceId(): string {
  const host =
    (hostname().split('.')[0] ?? 'host')
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .slice(0, 40) || 'host';
  cached ??= `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
  return cached;
}
