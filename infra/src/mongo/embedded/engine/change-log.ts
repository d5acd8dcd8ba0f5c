/**
 * The physical change records the engine emits, in the order it applies them. Persistence
 * appends them to the journal; replaying them rebuilds the exact state (no update is re-run,
 * so replay cannot diverge from what clients were told).
 */
import type { Document } from 'bson';
import type { IndexSpec } from './index-keys.ts';

export type ChangeRecord =
  | {
      readonly op: 'create';
      readonly db: string;
      readonly coll: string;
      readonly options: Document;
      readonly uuid: unknown;
    }
  | { readonly op: 'drop'; readonly db: string; readonly coll: string }
  | { readonly op: 'dropDatabase'; readonly db: string }
  | {
      readonly op: 'createIndex';
      readonly db: string;
      readonly coll: string;
      readonly spec: IndexSpec;
    }
  | { readonly op: 'dropIndex'; readonly db: string; readonly coll: string; readonly name: string }
  | { readonly op: 'put'; readonly db: string; readonly coll: string; readonly doc: Document }
  | { readonly op: 'delete'; readonly db: string; readonly coll: string; readonly id: unknown };

export interface ChangeLog {
  /** Called synchronously right after each change is applied in memory. */
  record(change: ChangeRecord): void;
}

/** In-memory mode: changes are not kept anywhere. */
export const discardChanges: ChangeLog = { record: () => undefined };
