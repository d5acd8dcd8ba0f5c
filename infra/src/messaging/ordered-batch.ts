/**
 * Deliveries on an ordered (partition) queue, handled as a batch: consecutive messages, in
 * queue order, given to one handler call (one database write for all of them) and acked
 * together after it. A retry tier would let later messages overtake a failing one, so failures
 * are retried here, in place, with backoff, while the queue waits behind them.
 *
 * One message that can never succeed must not hold its whole batch hostage:
 * - invalid messages and types the handler does not take are dead-lettered one by one before
 *   the handler runs (they can never succeed, whatever the batch);
 * - a batch that fails on every in-place attempt (or throws a PermanentError) is run again one
 *   message at a time, in order: those that succeed alone are acked, the first that fails on all
 *   of its own attempts is dead-lettered, and the rest go on as a batch again.
 *
 * If the channel goes away meanwhile (connection lost, shutdown) the retries stop and the
 * messages stay unacked: the broker gives them, in order, to the next active consumer.
 */
import type { TickwatchEvent } from '@tickwatch/contracts';
import { exponentialBackoff, type Backoff, type BackoffOptions } from './backoff.ts';
import { sleep } from './deadline.ts';
import { deadLetter } from './delivery-outcomes.ts';
import { deliveryScope, type DeliveryScope, type SubscriptionScope } from './delivery-scope.ts';
import { dispatch } from './dispatch.ts';
import { errorMessage, isPermanent } from './errors.ts';
import { DeadReason, inPlaceAttemptsSoFar } from './failure-policy.ts';
import { deliveryContext, type BatchHandler } from './handlers.ts';
import type { ProcessSpan } from './tracing.ts';
import type { IncomingMessage } from './broker-channel.ts';

export interface InPlaceRetryOptions {
  /** Handler runs per delivery before the DLQ (a batch, and then each message alone). */
  readonly attempts: number;
  readonly backoff: BackoffOptions;
}

export interface OrderedBatchOptions {
  readonly handler: BatchHandler;
  /** Event types the handler takes; any other is dead-lettered as `unhandled-type`. */
  readonly types: ReadonlySet<string>;
  readonly retry: InPlaceRetryOptions;
}

interface Entry {
  readonly scope: DeliveryScope;
  readonly event: TickwatchEvent;
  /** Attempts made on earlier deliveries of this message. */
  readonly before: number;
  /** Handler runs that included it during this delivery. */
  runs: number;
}

type RunResult =
  | { readonly kind: 'ok'; readonly durationMs: number }
  | { readonly kind: 'released' }
  | {
      readonly kind: 'failed';
      readonly error: unknown;
      readonly durationMs: number;
    };

export async function handleOrderedBatch(
  subscription: SubscriptionScope,
  messages: readonly IncomingMessage[],
  options: OrderedBatchOptions,
  span: ProcessSpan,
): Promise<void> {
  const takes = (event: TickwatchEvent): true | undefined =>
    options.types.has(event.type) ? true : undefined;
  let pending: Entry[] = [];
  for (const message of messages) {
    const scope = deliveryScope(subscription, message, span);
    const before = inPlaceAttemptsSoFar(message);
    const dispatched = dispatch(scope, takes, before);
    if (dispatched.ok) pending.push({ scope, event: dispatched.event, before, runs: 0 });
    else await dispatched.refuse();
  }
  while (pending.length > 0) {
    const result = await runInPlace(subscription, pending, options);
    if (result.kind === 'ok') {
      ackAll(subscription, pending, result.durationMs);
      return;
    }
    if (result.kind === 'released') {
      leaveUnacked(subscription, pending);
      return;
    }
    const [only] = pending;
    if (only && pending.length === 1) {
      await deadLetterEntry(only, result);
      return;
    }
    subscription.logger.warn(
      { err: result.error, size: pending.length, firstEventId: pending[0]?.event.id },
      'ordered batch failed on every attempt; handling its messages one at a time',
    );
    pending = await isolate(subscription, pending, options);
  }
}

/** Runs the entries one at a time until one fails for good; returns the ones after it. */
async function isolate(
  subscription: SubscriptionScope,
  entries: readonly Entry[],
  options: OrderedBatchOptions,
): Promise<Entry[]> {
  for (const [index, entry] of entries.entries()) {
    const result = await runInPlace(subscription, [entry], options);
    if (result.kind === 'ok') {
      ackAll(subscription, [entry], result.durationMs);
    } else if (result.kind === 'released') {
      leaveUnacked(subscription, entries.slice(index));
      return [];
    } else {
      await deadLetterEntry(entry, result);
      return entries.slice(index + 1);
    }
  }
  return [];
}

/**
 * Runs the handler on `entries` until it succeeds, throws a PermanentError, or used up its
 * attempts (`attempts` minus those of earlier deliveries, at least one), backing off between.
 */
async function runInPlace(
  subscription: SubscriptionScope,
  entries: readonly Entry[],
  options: OrderedBatchOptions,
): Promise<RunResult> {
  const { queue, observer, logger, released, channel } = subscription;
  const before = Math.max(...entries.map((entry) => entry.before));
  const budget = Math.max(1, options.retry.attempts - before);
  // Made at the first failure: most batches succeed at once and never need one.
  let backoff: Backoff | undefined;
  for (let attempt = 1; ; attempt++) {
    if (released.aborted || !channel.isOpen) return { kind: 'released' };
    const items = entries.map((entry) => {
      entry.runs += 1;
      const context = deliveryContext(queue, entry.scope.message, entry.before + entry.runs);
      return { event: entry.event, context };
    });
    const span = entries[0]?.scope.span;
    span?.attempt(Math.max(...items.map((item) => item.context.attempt)));
    const started = performance.now();
    try {
      await options.handler({ queue, items, attempt });
      return { kind: 'ok', durationMs: performance.now() - started };
    } catch (error) {
      const durationMs = performance.now() - started;
      span?.failed(error);
      if (isPermanent(error) || attempt >= budget) return { kind: 'failed', error, durationMs };
      for (const { event } of entries) {
        observer.consumed({ queue, type: event.type, outcome: 'retry', durationMs });
      }
      backoff ??= exponentialBackoff(options.retry.backoff);
      const delayMs = backoff.next();
      logger.warn(
        {
          err: error,
          size: entries.length,
          firstEventId: entries[0]?.event.id,
          attempt,
          retryInMs: delayMs,
        },
        'ordered handler failed; retrying in place',
      );
      if (!(await sleep(delayMs, released))) return { kind: 'released' };
    }
  }
}

/** One ack for the whole run: every earlier delivery on this channel is settled already. */
function ackAll(subscription: SubscriptionScope, entries: readonly Entry[], durationMs: number) {
  const last = entries.at(-1);
  if (!last) return;
  const acked = subscription.channel.ack(last.scope.message.deliveryTag, true);
  last.scope.span.outcome(acked ? 'ack' : 'requeue');
  for (const { scope, event } of entries) {
    scope.settled = true;
    subscription.observer.consumed({
      queue: subscription.queue,
      type: event.type,
      outcome: acked ? 'ack' : 'requeue',
      durationMs,
    });
  }
}

/** The channel is gone or closing: the broker gives these back, in order, when it closes. */
function leaveUnacked(subscription: SubscriptionScope, entries: readonly Entry[]): void {
  entries[0]?.scope.span.outcome('requeue');
  for (const { scope, event } of entries) {
    scope.settled = true;
    subscription.observer.consumed({
      queue: subscription.queue,
      type: event.type,
      outcome: 'requeue',
      durationMs: 0,
    });
  }
}

async function deadLetterEntry(
  entry: Entry,
  failure: { readonly error: unknown; readonly durationMs: number },
): Promise<void> {
  const { error, durationMs } = failure;
  const attempts = entry.before + entry.runs;
  const cause = isPermanent(error)
    ? { reason: DeadReason.permanent, detail: errorMessage(error), attempts, error }
    : {
        reason: DeadReason.retriesExhausted,
        detail: `failed ${entry.runs} times in place, last: ${errorMessage(error)}`,
        attempts,
        error,
      };
  await deadLetter(entry.scope, cause, entry.event.type, durationMs);
}
