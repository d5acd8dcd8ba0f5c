/**
 * The identity of this process: one instance id for its whole life, used as the trace
 * resource's `service.instance.id`, the `instance` field of every log line and the name of
 * per-process queues (`gateway.live.<instance>`).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

let cached: string | undefined;

/**
 * `service.instance.id` from OTEL_RESOURCE_ATTRIBUTES when the deployment sets it (so traces,
 * logs and queue names agree), else `<host>-<pid>-<6 hex>`: readable in the broker UI and unique
 * even when two containers share a host name and pid 1.
 */
export function instanceId(): string {
  cached ??=
    instanceIdFromResourceAttributes(process.env.OTEL_RESOURCE_ATTRIBUTES) ?? generatedInstanceId();
  return cached;
}

/** `key1=value1,key2=value2` (values percent-encoded, per the OTel spec) → service.instance.id. */
export function instanceIdFromResourceAttributes(
  attributes: string | undefined,
): string | undefined {
  for (const pair of (attributes ?? '').split(',')) {
    const separator = pair.indexOf('=');
    if (separator < 0 || pair.slice(0, separator).trim() !== 'service.instance.id') continue;
    const value = decodeURIComponent(pair.slice(separator + 1).trim());
    if (value !== '') return value;
  }
  return undefined;
}

function generatedInstanceId(): string {
  const host =
    hostname()
      .split('.')[0]
      ?.toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .slice(0, 40) || 'host';
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
