/**
 * Reading what a delivery's headers say: typed values out of AMQP field tables, the broker's
 * `x-death` history, and the routing key the message was first published with. Consumers and
 * the DLQ tool read them the same way.
 */
import { HEADERS } from '@tickwatch/contracts';
import type { Headers, HeaderValue, IncomingMessage } from './broker-channel.ts';

/** Header value as a string, or undefined (AMQP tables may carry numbers, buffers...). */
export function headerString(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

export function headerNumber(headers: Headers, name: string): number | undefined {
  const value = headers[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** One entry of the broker's `x-death` header: where and why it was dead-lettered, how often. */
export interface DeathRecord {
  readonly queue: string;
  readonly reason: string;
  readonly count: number;
  readonly routingKeys: readonly string[];
}

/** The `x-death` history, most recent first (as the broker orders it). */
export function deathRecords(headers: Headers): DeathRecord[] {
  const value = headers['x-death'];
  if (!Array.isArray(value)) return [];
  return (value as readonly HeaderValue[]).flatMap((entry) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return [];
    const record = entry as Headers;
    return [
      {
        queue: headerString(record, 'queue') ?? '?',
        reason: headerString(record, 'reason') ?? '?',
        count: headerNumber(record, 'count') ?? 0,
        routingKeys: Array.isArray(record['routing-keys'])
          ? (record['routing-keys'] as readonly HeaderValue[]).filter(
              (key): key is string => typeof key === 'string',
            )
          : [],
      },
    ];
  });
}

/**
 * The key it was first published with: our header once we retried, dead-lettered or replayed
 * it (a retry hop replaces the key with the queue's name); for a message the broker
 * dead-lettered on its first life (delivery limit), the oldest x-death's keys; else its own.
 */
export function originalRoutingKey(message: IncomingMessage): string {
  const fromHeader = headerString(message.headers, HEADERS.routingKey);
  if (fromHeader !== undefined) return fromHeader;
  if (message.headers['x-death'] === undefined) return message.routingKey;
  return deathRecords(message.headers).at(-1)?.routingKeys[0] ?? message.routingKey;
}
