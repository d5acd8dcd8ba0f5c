/** DateTime: ISO 8601 instants in, Date out to resolvers; Dates or ISO strings back out as UTC ISO text. */
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { ErrorCode } from './errors.ts';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function parse(value: unknown): Date {
  const date = typeof value === 'string' && ISO_INSTANT.test(value) ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) {
    throw new GraphQLError('DateTime: expected an ISO 8601 instant such as 2026-10-02T20:00:01Z', {
      extensions: { code: ErrorCode.badUserInput },
    });
  }
  return date;
}

export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO 8601 instant in UTC',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime: not a date');
    return date.toISOString();
  },
  parseValue: parse,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime: expected a string literal');
    return parse(ast.value);
  },
});
