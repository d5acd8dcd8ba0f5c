/**
 * The Apollo server of the HTTP side: our schema, limits and error formatting; CSRF
 * prevention on; no landing page (GraphiQL is our own, http/graphiql.ts); introspection as
 * configured; signals left to the service lifecycle (infra/service.ts owns shutdown order).
 */
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '@tickwatch/infra/log';
import type { GatewayContext } from './context.ts';
import { createFormatError } from './format-error.ts';
import { parseOptions, validationRules } from './limits.ts';
import { metricsPlugin } from './metrics-plugin.ts';

export interface ApolloOptions {
  readonly schema: GraphQLSchema;
  readonly logger: Logger;
  readonly production: boolean;
  readonly introspection: boolean;
  readonly plugins?: readonly ApolloServerPlugin<GatewayContext>[];
}

export function createApollo(options: ApolloOptions): ApolloServer<GatewayContext> {
  const { production } = options;
  return new ApolloServer<GatewayContext>({
    schema: options.schema,
    introspection: options.introspection,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: !production,
    stopOnTerminationSignals: false,
    parseOptions,
    validationRules: validationRules({ exposeLimits: !production }),
    formatError: createFormatError({ logger: options.logger, production }),
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      metricsPlugin<GatewayContext>(),
      ...(options.plugins ?? []),
    ],
  });
}
