/**
 * Idempotent handlers (DESIGN.md §5), in order of preference: the effect keyed by the event id
 * (insertOnce), the marker written with the effect (applyOnce), an inbox written after the
 * effect (createInbox) only for effects outside the database.
 */
export { insertOnce, isDuplicateKey, type OnceOutcome } from './insert-once.ts';
export {
  applyOnce,
  markerUpdate,
  PROCESSED_EVENTS,
  type ApplyOnceOptions,
  type ApplyOutcome,
} from './apply-once.ts';
export { createInbox, type Inbox, type InboxOptions } from './inbox.ts';
