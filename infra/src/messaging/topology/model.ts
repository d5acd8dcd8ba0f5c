/**
 * Topology as data: one description of exchanges, queues (with their arguments), bindings and
 * who consumes what. Declaration, the DLQ tool and the README table all read this one value.
 */
import type { Headers } from '../broker-channel.ts';

export type ExchangeType = 'topic' | 'direct' | 'fanout';

export interface ExchangeSpec {
  readonly name: string;
  readonly type: ExchangeType;
  readonly purpose: string;
}

/**
 * - `work`: quorum, dead-lettered to its own DLQ, consumed with retry tiers.
 * - `ordered`: a work queue consumed one message at a time, retried in place (partitions).
 * - `dead-letter`: a work queue's `<queue>.dlq`; read by the DLQ tool only.
 * - `wait`: a retry tier's holding queue; nobody consumes it, its TTL sends messages back.
 * - `stream`: the event log.
 * - `live`: a process's own fan-out queue; lossy by design (bounded, expiring).
 */
export type QueueRole = 'work' | 'ordered' | 'dead-letter' | 'wait' | 'stream' | 'live';

export interface BindingSpec {
  readonly exchange: string;
  readonly pattern: string;
}

export interface QueueSpec {
  readonly name: string;
  readonly role: QueueRole;
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  readonly arguments: Headers;
  readonly bindings: readonly BindingSpec[];
  /** Who consumes it (service or tool), for the README table and operators. */
  readonly consumer: string;
  /** For work and ordered queues: where exhausted or poison messages end up. */
  readonly deadLetterQueue?: string;
}

export interface RetryTier {
  readonly name: string;
  readonly delayMs: number;
}

export interface Topology {
  readonly exchanges: readonly ExchangeSpec[];
  readonly queues: readonly QueueSpec[];
  /** In order: a handler failure after attempt N waits in tier N (1-based) before attempt N+1. */
  readonly retryTiers: readonly RetryTier[];
}

export function findQueue(topology: Topology, name: string): QueueSpec | undefined {
  return topology.queues.find((queue) => queue.name === name);
}

/** Queues the application consumes with handlers (work and ordered). */
export function consumedQueues(topology: Topology): readonly QueueSpec[] {
  return topology.queues.filter((queue) => queue.role === 'work' || queue.role === 'ordered');
}

/** Adds queues (a process's live queue) to a shared description. */
export function withQueues(topology: Topology, queues: readonly QueueSpec[]): Topology {
  return { ...topology, queues: [...topology.queues, ...queues] };
}
