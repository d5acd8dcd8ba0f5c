/**
 * Subscription documents parsed and validated once per distinct text, with the HTTP side's
 * parse limits and validation rules (graphql/limits.ts): 10,000 clients sending the same
 * `subscription { priceUpdated(...) { ... } }` share one parse, one validation and one AST
 * instead of holding 10,000 copies. Bounded: the least recently used text goes first.
 */
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { parseOptions, validationRules } from '../graphql/limits.ts';

export type Checked = { readonly document: DocumentNode } | { readonly errors: GraphQLError[] };

function check(schema: GraphQLSchema, query: string, rules: typeof specifiedRules): Checked {
  let document: DocumentNode;
  try {
    document = parse(query, parseOptions);
  } catch (error) {
    return { errors: [error instanceof GraphQLError ? error : new GraphQLError(String(error))] };
  }
  const errors = validate(schema, document, rules);
  return errors.length > 0 ? { errors: [...errors] } : { document };
}

/** Only subscriptions run over WebSocket: queries and mutations have their rate limits on HTTP. */
function subscriptionOnly(
  document: DocumentNode,
  operationName: string | null | undefined,
): Checked {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation =
    operations.length === 1
      ? operations[0]
      : operations.find((o) => o.name?.value === operationName);
  if (operation?.operation === OperationTypeNode.SUBSCRIPTION) return { document };
  return {
    errors: [
      new GraphQLError('only subscriptions are served over WebSocket: POST queries and mutations', {
        extensions: { code: 'BAD_REQUEST' },
      }),
    ],
  };
}

export function createDocumentCache(
  schema: GraphQLSchema,
  options: { readonly production: boolean; readonly size?: number },
): { get(query: string, operationName?: string | null): Checked } {
  const { size = 500 } = options;
  const rules = [...specifiedRules, ...validationRules({ exposeLimits: !options.production })];
  const checked = new Map<string, Checked>();
  return {
    get(query, operationName) {
      let entry = checked.get(query);
      if (entry) {
        checked.delete(query); // to the most recent end
      } else {
        entry = check(schema, query, rules);
        if (checked.size >= size) checked.delete(checked.keys().next().value as string);
      }
      checked.set(query, entry);
      return 'errors' in entry ? entry : subscriptionOnly(entry.document, operationName);
    },
  };
}
