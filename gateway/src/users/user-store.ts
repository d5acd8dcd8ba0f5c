/**
 * How every command changes a user: load the document, decide (pure: validate, compute the
 * new state and its events), then ONE conditional write of the change, its events (outbox)
 * and the request's answer (idempotency), guarded by the document's version. A concurrent
 * change makes the write match nothing: reload and decide again. A request id seen before
 * answers what it answered then and writes nothing (also when 20 identical requests race:
 * one wins the write, the others find its answer on their retry).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { UpdateQuery } from 'mongoose';
import {
  createEvent,
  type EventData,
  type EventType,
  type TickwatchEvent,
} from '@tickwatch/contracts';
import type { Logger } from '@tickwatch/infra/log';
import { withOutbox, type OutboxRelay, type TraceContext } from '@tickwatch/infra/messaging/outbox';
import { conflict, unauthenticated } from '../graphql/errors.ts';
import { KEEP_REQUESTS, type UserDocument, type UserModel } from './user-model.ts';

export const EVENT_SOURCE = 'tickwatch/gateway';

/** A command's event: its id is fixed now, when the command is accepted (DESIGN.md §4). */
export function commandEvent<T extends EventType>(type: T, data: EventData<T>): TickwatchEvent {
  // Event<T> for a generic T is not seen as one member of the TickwatchEvent union.
  return createEvent(type, data, {
    source: EVENT_SOURCE,
    id: randomUUID(),
  }) as unknown as TickwatchEvent;
}

/** What a command decided: the update of the user document, the events, the answer. */
export interface Decision<R> {
  readonly update: UpdateQuery<UserDocument>;
  readonly events: readonly TickwatchEvent[];
  readonly result: R;
}

export interface CommandRequest {
  readonly userId: string;
  /** The mutation's name and arguments, fingerprinted with the request id. */
  readonly operation: string;
  readonly args: unknown;
  readonly requestId?: string | null;
  readonly trace?: TraceContext;
  /** The user as the caller just loaded it: the first attempt decides on it (one read less). */
  readonly loaded?: UserDocument;
}

export interface UserStore {
  /** The live (not deleted) user, or UNAUTHENTICATED: a token may outlive its account. */
  load(userId: string): Promise<UserDocument>;
  run<R>(
    request: CommandRequest,
    decide: (user: UserDocument) => Decision<R> | Promise<Decision<R>>,
  ): Promise<R>;
  /** Publishes what a write left in the outbox now rather than at the next sweep. */
  flushSoon(userId: string): void;
}

/** Attempts of one command against concurrent changes of the same user. */
const MAX_ATTEMPTS = 20;

export function fingerprint(operation: string, args: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([operation, args]))
    .digest('base64url');
}

export function createUserStore(options: {
  readonly users: UserModel;
  readonly relay: Pick<OutboxRelay, 'flush'>;
  readonly logger: Logger;
}): UserStore {
  const { users, relay, logger } = options;

  const load = async (userId: string): Promise<UserDocument> => {
    // The webhook secret is unselected by default; preference events must carry it.
    const user = await users
      .findOne({ _id: userId, deletedAt: { $exists: false } })
      .select('+preferences.webhookSecret')
      .lean<UserDocument>();
    if (!user) throw unauthenticated('the account no longer exists');
    return user;
  };

  const flushSoon = (userId: string): void => {
    relay.flush(userId).catch((error: unknown) => {
      logger.warn({ err: error, userId }, 'outbox flush failed; the sweep will publish');
    });
  };

  return {
    load,
    flushSoon,
    async run(request, decide) {
      const { userId, requestId } = request;
      const print = requestId ? fingerprint(request.operation, request.args) : '';
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
        const user = attempt === 1 && request.loaded ? request.loaded : await load(userId);
        if (requestId) {
          const seen = user.requests.find((r) => r.id === requestId);
          if (seen && seen.fingerprint !== print) {
            throw conflict('this requestId was already used for a different request');
          }
          if (seen) return seen.result as Awaited<ReturnType<typeof decide>>['result'];
        }
        const decision = await decide(user);
        const update: UpdateQuery<UserDocument> = { ...decision.update };
        update.$inc = { ...(update.$inc as object | undefined), version: 1 };
        if (requestId) {
          const remembered = {
            id: requestId,
            fingerprint: print,
            result: decision.result,
            at: new Date(),
          };
          update.$push = {
            ...(update.$push as object | undefined),
            requests: { $each: [remembered], $slice: -KEEP_REQUESTS },
          };
        }
        const written = await users.updateOne(
          { _id: userId, version: user.version, deletedAt: { $exists: false } },
          withOutbox(update, decision.events, request.trace),
        );
        if (written.matchedCount === 1) {
          if (decision.events.length > 0) flushSoon(userId);
          return decision.result;
        }
      }
      throw conflict('the account is changing too fast; retry the request');
    },
  };
}
