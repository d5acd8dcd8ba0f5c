/**
 * Reads the broker's 406 PRECONDITION_FAILED reply to a declaration, e.g.
 *   PRECONDITION_FAILED - inequivalent arg 'x-delivery-limit' for queue 'alerter.p3' in vhost
 *   '/': received the value '30' of type 'signedint' but current is the value '20' ...
 * into the queue (or exchange), the argument and the broker's explanation.
 */
import type { TopologyMismatch } from '../errors.ts';

const INEQUIVALENT =
  /inequivalent arg '([^']+)' for (queue|exchange) '([^']+)' in vhost '[^']*': ([^"]+)/;

export function parseMismatch(
  error: unknown,
  declared: { kind: 'queue' | 'exchange'; name: string },
): TopologyMismatch | null {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== 406) return null;
  const match = INEQUIVALENT.exec(error.message);
  if (!match) {
    return { ...declared, argument: '(unknown)', detail: error.message };
  }
  const [, argument = '', kind = declared.kind, name = declared.name, detail = ''] = match;
  return { kind: kind as 'queue' | 'exchange', name, argument, detail: detail.trim() };
}
