/**
 * A command's `let` (find, aggregate, update, delete, findAndModify): each value is an
 * expression, evaluated once before the command runs (`{total: {$add: [1, 2]}}` makes `$$total`
 * 3), as the server does; mingo would otherwise hand `$$total` the expression itself.
 */
import type { Document } from 'bson';
import { evalExpr } from 'mingo/core';
import { fail } from '../errors.ts';
import { mingoOptions } from '../engine/mingo-options.ts';
import { pipelineContext } from './mingo-context.ts';
import { withMingo } from './mingo-errors.ts';

/** variable_validation.cpp: user variables start with a lowercase letter (or a non-ASCII one). */
const USER_VARIABLE = /^[a-z\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*$/;

export function evaluateVariables(spec: Document | undefined): Document | undefined {
  if (spec === undefined) return undefined;
  const options = { ...mingoOptions, context: pipelineContext };
  const values: Document = {};
  for (const [name, expression] of Object.entries(spec)) {
    if (!USER_VARIABLE.test(name)) {
      throw fail(
        'FailedToParse',
        `'${name}' starts with an invalid character for a user variable name`,
      );
    }
    values[name] = withMingo(() => evalExpr({}, expression, options));
  }
  return values;
}
