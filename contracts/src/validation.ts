/**
 * Turning bytes or values into typed events, and the error that says exactly what was wrong.
 */
import type { z } from 'zod';
import { catalogue, isEventType } from './catalogue.ts';
import { Envelope, type TickwatchEvent } from './envelope.ts';

export interface ValidationIssue {
  /** Dotted path of the offending field, e.g. `data.rule.condition.threshold`. */
  readonly path: string;
  readonly message: string;
}

export class EventValidationError extends Error {
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[]) {
    super(issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '));
    this.name = 'EventValidationError';
    this.issues = issues;
  }
}

export type ParseResult =
  | { readonly ok: true; readonly event: TickwatchEvent }
  | { readonly ok: false; readonly error: EventValidationError };

function failure(issues: readonly ValidationIssue[]): ParseResult {
  return { ok: false, error: new EventValidationError(issues) };
}

function issuesOf(error: z.ZodError, prefix: readonly PropertyKey[]): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path].map(String).join('.') || '(root)',
    message: issue.message,
  }));
}

/**
 * Checks an already-decoded value: the envelope, a known `type`, and `data` against that
 * type's schema. Unknown fields are stripped (newer producers may add some), missing or
 * mistyped ones are errors.
 */
export function validateEvent(value: unknown): ParseResult {
  const envelope = Envelope.safeParse(value);
  if (!envelope.success) return failure(issuesOf(envelope.error, []));
  const { type } = envelope.data;
  if (!isEventType(type)) {
    return failure([{ path: 'type', message: `unknown event type ${JSON.stringify(type)}` }]);
  }
  const data = catalogue[type].data.safeParse(envelope.data.data);
  if (!data.success) return failure(issuesOf(data.error, ['data']));
  return { ok: true, event: { ...envelope.data, type, data: data.data } as TickwatchEvent };
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes a message body (UTF-8 JSON) and validates it. Never throws. */
export function parseEvent(body: Uint8Array | string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(typeof body === 'string' ? body : decoder.decode(body));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return failure([{ path: '(body)', message: `not UTF-8 JSON: ${reason}` }]);
  }
  return validateEvent(value);
}
