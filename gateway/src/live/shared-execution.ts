/**
 * A subscription's document run on one event, shared: subscribers whose operation, document
 * and variables are the same get the same `key`, and the hub runs each key once per event and
 * sends its serialized result to all of them (live-hub.ts). 10,000 clients of one ticker cost
 * one `execute`, one `JSON.stringify` and one UTF-8 encoding per price, not 10,000.
 *
 * Sound because a result depends on the caller only below per-user topics: a ticker's prices
 * and averages resolve nothing of the viewer's (Quote, MovingAverage), while alerts and
 * deliveries are topics of one user each, so a shared run never crosses users.
 */
import { execute, GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';

export interface SharedExecution {
  readonly key: string;
  /**
   * The `payload` of a graphql-ws `next` message for this event, as UTF-8 JSON: encoded once
   * here, copied into each subscriber's frame (live-stream.ts) instead of encoded per socket.
   */
  run(event: unknown): Buffer | Promise<Buffer>;
}

const serialize = (result: ExecutionResult): Buffer =>
  Buffer.from(
    JSON.stringify(
      result.errors ? { ...result, errors: result.errors.map((e) => e.toJSON()) } : result,
    ),
  );

/** `args` without `rootValue`: each event is the root value, as graphql-js's `subscribe` does. */
export function sharedExecution(
  args: ExecutionArgs,
  operation: { readonly query: string; readonly variables?: unknown },
): SharedExecution {
  return {
    key: JSON.stringify([operation.query, args.operationName ?? null, operation.variables ?? null]),
    run(event) {
      const result = execute({ ...args, rootValue: event });
      if (!('then' in result)) return serialize(result);
      return result.then(serialize, (error: unknown) =>
        serialize({ errors: [new GraphQLError(String(error))] }),
      );
    },
  };
}
