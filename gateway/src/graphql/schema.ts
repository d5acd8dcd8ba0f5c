/**
 * The executable schema: the SDL (schema.graphql, the contract clients read) with the
 * resolvers. The same schema object serves HTTP and graphql-ws (live/ws-server.ts).
 */
import { readFileSync } from 'node:fs';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { mutationResolvers } from './resolvers/mutation.ts';
import { queryResolvers } from './resolvers/query.ts';
import { subscriptionResolvers } from './resolvers/subscription.ts';
import { typeResolvers } from './resolvers/type-resolvers.ts';
import { DateTime } from './scalars.ts';

export const SCHEMA_FILE = new URL('../schema.graphql', import.meta.url);
export const typeDefs = readFileSync(SCHEMA_FILE, 'utf8');

export function gatewaySchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs,
    resolvers: {
      DateTime,
      Query: queryResolvers,
      Mutation: mutationResolvers,
      Subscription: subscriptionResolvers,
      ...typeResolvers,
    },
    // Every field a resolver map names must exist in the SDL, and every resolver must be used.
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
}
