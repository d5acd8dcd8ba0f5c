/**
 * How a dead letter reads to an operator: why it died (our reason header, or the broker's
 * x-death for `delivery_limit`), where from, how many attempts, and its body.
 */
import { HEADERS } from '@tickwatch/contracts';
import type { Headers, HeaderValue, IncomingMessage } from '../broker-channel.ts';
import { headerNumber, headerString } from '../envelope.ts';

export interface DeathRecord {
  readonly queue: string;
  readonly reason: string;
  readonly count: number;
  readonly routingKeys: readonly string[];
}

export interface DeadLetterView {
  readonly messageId: string | undefined;
  readonly type: string | undefined;
  /** Our reason header, else the broker's latest x-death reason (e.g. `delivery_limit`). */
  readonly reason: string;
  readonly queue: string | undefined;
  readonly routingKey: string;
  readonly attempts: number;
  readonly lastError: string | undefined;
  readonly replayedAt: string | undefined;
  readonly deaths: readonly DeathRecord[];
  /** Parsed JSON when the body is JSON, else the text. */
  readonly body: unknown;
}

export function viewDeadLetter(message: IncomingMessage): DeadLetterView {
  const { headers } = message;
  const deaths = xDeath(headers);
  const reason =
    headerString(headers, HEADERS.deadReason) ??
    (deaths[0] ? `broker: ${deaths[0].reason} in ${deaths[0].queue}` : 'unknown');
  return {
    messageId: message.messageId,
    type: message.type,
    reason,
    queue: headerString(headers, HEADERS.queue) ?? deaths[0]?.queue,
    routingKey: originalRoutingKeyOf(message),
    attempts: headerNumber(headers, HEADERS.attempts) ?? 0,
    lastError: headerString(headers, HEADERS.lastError),
    replayedAt: headerString(headers, HEADERS.replayedAt),
    deaths,
    body: parseBody(message.content),
  };
}

/**
 * The key it was first published with: our header once it was retried or dead-lettered by us;
 * for a broker dead-letter (delivery limit) on its first life, the oldest x-death's keys.
 */
export function originalRoutingKeyOf(message: IncomingMessage): string {
  const fromHeader = headerString(message.headers, HEADERS.routingKey);
  if (fromHeader !== undefined) return fromHeader;
  const deaths = xDeath(message.headers);
  return deaths.at(-1)?.routingKeys[0] ?? message.routingKey;
}

function xDeath(headers: Headers): DeathRecord[] {
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

function parseBody(content: Buffer): unknown {
  const text = content.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
