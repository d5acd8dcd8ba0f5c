/**
 * Messaging set up for tests: short retry tiers, fast reconnects and heartbeats, silent logs.
 * Production values differ only where a test would otherwise wait for minutes.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../log.ts';
import { createMessaging, type Messaging, type MessagingOptions } from '../messaging.ts';
import type { RetryTier, Topology } from '../topology/model.ts';
import { tickwatchTopology, type TickwatchTopologyOptions } from '../topology/tickwatch.ts';

export const TEST_TIERS: readonly RetryTier[] = [
  { name: 't1', delayMs: 50 },
  { name: 't2', delayMs: 100 },
  { name: 't3', delayMs: 200 },
];

export function testTopology(options: TickwatchTopologyOptions = {}): Topology {
  return tickwatchTopology({ retryTiers: TEST_TIERS, ...options });
}

export function testMessaging(url: string, overrides: Partial<MessagingOptions> = {}): Messaging {
  return createMessaging({
    url,
    service: 'test',
    topology: testTopology(),
    heartbeatSeconds: 1,
    connectTimeoutMs: 3_000,
    reconnect: { initialMs: 50, maxMs: 500 },
    startTimeoutMs: 15_000,
    publishTimeoutMs: 15_000,
    shutdownTimeoutMs: 3_000,
    inPlaceRetry: { attempts: 3, backoff: { initialMs: 20, maxMs: 100 } },
    ...overrides,
  });
}

/** Closes everything registered, newest first; for `afterEach`. */
export class Disposer {
  #items: (() => Promise<unknown>)[] = [];
  add<T>(item: T, dispose: (item: T) => Promise<unknown>): T {
    this.#items.push(() => dispose(item));
    return item;
  }
  async disposeAll(): Promise<void> {
    const items = this.#items.reverse();
    this.#items = [];
    for (const dispose of items) {
      try {
        await dispose();
      } catch {
        // Disposal is best effort: the vhost deletion removes anything left.
      }
    }
  }
}

/**
 * For `pollUntil` probes: true when `condition` holds, else throws `progress()` so a timeout
 * reports how far it got (a string would count as truthy and end the wait).
 */
export function holds(condition: boolean, progress: () => string): true {
  if (condition) return true;
  throw new Error(progress());
}

/**
 * A logger whose transport throws the first time `message` is logged: a way to make a delivery
 * path fail where it never expects to, as a bug in it would.
 */
export function loggerThrowingOnce(message: string): { logger: Logger; thrown: () => boolean } {
  let thrown = false;
  const logger = pino(
    {
      level: 'warn',
      hooks: {
        logMethod(args, method) {
          if (!thrown && args.includes(message)) {
            thrown = true;
            throw new Error('log transport down');
          }
          method.apply(this, args);
        },
      },
    },
    new Writable({
      write: (_chunk, _encoding, done) => {
        done();
      },
    }),
  );
  return { logger, thrown: () => thrown };
}
