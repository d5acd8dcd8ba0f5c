/**
 * Request metrics as an Apollo plugin (request hooks rather than wrapped resolvers): one count
 * and one duration per operation, labelled by its root field and the first error code.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import { metrics } from '../metrics.ts';
import { ErrorCode } from './errors.ts';

/** `query.quote`; `query.(several)` for operations with more than one root field. */
function operationLabel(operation: OperationDefinitionNode | null | undefined): string {
  if (!operation) return 'unparsed';
  const fields = operation.selectionSet.selections.filter((s) => s.kind === Kind.FIELD);
  const [first] = fields;
  const name = fields.length === 1 && first ? first.name.value : '(several)';
  return `${operation.operation}.${name}`;
}

export function metricsPlugin<C extends object>(): ApolloServerPlugin<C> {
  return {
    requestDidStart() {
      const stop = process.hrtime.bigint();
      return Promise.resolve({
        willSendResponse(context) {
          const operation = operationLabel(context.operation);
          const seconds = Number(process.hrtime.bigint() - stop) / 1e9;
          const code = context.errors?.[0]?.extensions.code;
          const outcome = typeof code === 'string' ? code : context.errors?.length ? 'error' : 'ok';
          metrics.requests.inc({ operation, outcome });
          metrics.duration.observe({ operation }, seconds);
          if (outcome === ErrorCode.rateLimited) metrics.rateLimited.inc({ operation });
          return Promise.resolve();
        },
      });
    },
  };
}
