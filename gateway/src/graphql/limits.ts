/**
 * What one operation may ask for, the same on every transport: HTTP (Apollo's
 * `validationRules` and `parseOptions`) and graphql-ws (live/ws-server.ts: its own `validate` and
 * parse step, which Apollo's options do not reach). A query past a limit is refused before
 * anything runs, with a 400 and a GraphQL error naming the limit:
 * - size and tokens: parsing stops at the limit, so a megabyte of query costs microseconds;
 * - depth, aliases, directives, cost: GraphQL Armor's validation rules.
 * The body size is bounded earlier, by the HTTP layer (http/app.ts).
 */
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { GraphQLError, ParseOptions, ValidationContext, ValidationRule } from 'graphql';

export const LIMITS = {
  /** Tokens in a document (GraphiQL's introspection query has about 1,000). */
  tokens: 2_000,
  /** Selection depth: the schema's deepest path is 5 (`alerts.edges.node.deliveries.id`). */
  depth: 10,
  aliases: 15,
  directives: 20,
  /** Armor's cost: 2 per object, 1 per scalar, times 1.5 per level of depth. */
  cost: 5_000,
  /** Characters of a query document. */
  sourceLength: 16 * 1024,
  /** Bytes of a request body (HTTP). */
  bodyBytes: 64 * 1024,
} as const;

export const parseOptions: ParseOptions = {
  maxLexicalTokens: LIMITS.tokens,
  maxSourceLength: LIMITS.sourceLength,
};

/**
 * Armor's rules throw by default, which Apollo turns into a 500; reported as validation
 * errors instead, they give the 400 a refused query deserves (and graphql-ws an error message).
 */
const report = {
  propagateOnRejection: false,
  onReject: [
    (context: ValidationContext | null, error: GraphQLError) => {
      context?.reportError(error);
    },
  ],
};

/** `exposeLimits` off in production: the messages do not tell the limits' values. */
export function validationRules(options: { readonly exposeLimits: boolean }): ValidationRule[] {
  const { exposeLimits } = options;
  return [
    maxDepthRule({ n: LIMITS.depth, exposeLimits, flattenFragments: true, ...report }),
    maxAliasesRule({ n: LIMITS.aliases, exposeLimits, ...report }),
    maxDirectivesRule({ n: LIMITS.directives, exposeLimits, ...report }),
    costLimitRule({ maxCost: LIMITS.cost, exposeLimits, ...report }),
  ] as ValidationRule[];
}
