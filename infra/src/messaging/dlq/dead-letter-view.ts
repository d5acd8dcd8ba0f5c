/**
 * How a dead letter reads to an operator: why it died (our reason header, or the broker's
 * x-death for `delivery_limit`), where from, how many attempts, and its body.
 */
import { HEADERS } from '@tickwatch/contracts';
import type { IncomingMessage } from '../broker-channel.ts';
import {
  deathRecords,
  headerNumber,
  headerString,
  originalRoutingKey,
  type DeathRecord,
} from '../message-headers.ts';

export type { DeathRecord };

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
  const deaths = deathRecords(headers);
  const reason =
    headerString(headers, HEADERS.deadReason) ??
    (deaths[0] ? `broker: ${deaths[0].reason} in ${deaths[0].queue}` : 'unknown');
  return {
    messageId: message.messageId,
    type: message.type,
    reason,
    queue: headerString(headers, HEADERS.queue) ?? deaths[0]?.queue,
    routingKey: originalRoutingKey(message),
    attempts: headerNumber(headers, HEADERS.attempts) ?? 0,
    lastError: headerString(headers, HEADERS.lastError),
    replayedAt: headerString(headers, HEADERS.replayedAt),
    deaths,
    body: parseBody(message.content),
  };
}

function parseBody(content: Buffer): unknown {
  const text = content.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
