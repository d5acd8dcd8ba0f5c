/**
 * Databases and their collections. A database exists while it holds a collection, as on the
 * server; writes create their collection implicitly. Every catalog change goes to the change
 * log, and `apply` replays a logged change during recovery.
 */
import { UUID, type Document } from 'bson';
import { fail } from '../errors.ts';
import { discardChanges, type ChangeLog, type ChangeRecord } from './change-log.ts';
import { Collection } from './collection.ts';
import { encodeKey } from './key-encoding.ts';
import { checkCollectionName, checkDatabaseName } from './namespace.ts';

/** Told about every collection that stops existing (drop, dropDatabase, $out replacing it). */
export type DropListener = (collection: Collection) => void;

export class Catalog {
  readonly #databases = new Map<string, Map<string, Collection>>();
  readonly #dropListeners: DropListener[] = [];
  /** Forwarding log so collections created before persistence attaches still reach it. */
  #log: ChangeLog = discardChanges;
  readonly #forward: ChangeLog = {
    record: (change) => {
      this.#log.record(change);
    },
  };

  /** Open cursors on a dropped collection must fail on their next getMore, as on the server. */
  onDrop(listener: DropListener): void {
    this.#dropListeners.push(listener);
  }

  /** Where changes go from now on (the journal once recovery has finished). */
  attachLog(log: ChangeLog): void {
    this.#log = log;
  }

  databaseNames(): string[] {
    return [...this.#databases.keys()];
  }

  collections(db: string): Collection[] {
    return [...(this.#databases.get(db)?.values() ?? [])];
  }

  allCollections(): Collection[] {
    return [...this.#databases.values()].flatMap((db) => [...db.values()]);
  }

  collection(db: string, name: string): Collection | undefined {
    return this.#databases.get(db)?.get(name);
  }

  /** The collection, created (implicitly, as a write does) when missing. */
  ensureCollection(db: string, name: string): Collection {
    return this.collection(db, name) ?? this.createCollection(db, name, {});
  }

  /** Explicit `create`: NamespaceExists (48) when the collection is already there. */
  createCollection(
    db: string,
    name: string,
    options: Document,
    uuid: UUID = new UUID(),
  ): Collection {
    checkDatabaseName(db);
    checkCollectionName(db, name);
    if (this.collection(db, name))
      throw fail('NamespaceExists', `Collection ${db}.${name} already exists.`);
    const collection = new Collection(db, name, options, uuid, this.#forward);
    let collections = this.#databases.get(db);
    if (!collections) {
      collections = new Map();
      this.#databases.set(db, collections);
    }
    collections.set(name, collection);
    this.#log.record({ op: 'create', db, coll: name, options, uuid });
    return collection;
  }

  dropCollection(db: string, name: string): boolean {
    const collections = this.#databases.get(db);
    const collection = collections?.get(name);
    if (!collections || !collection) return false;
    collections.delete(name);
    if (collections.size === 0) this.#databases.delete(db);
    this.#log.record({ op: 'drop', db, coll: name });
    this.#dropped([collection]);
    return true;
  }

  dropDatabase(db: string): void {
    const collections = this.#databases.get(db);
    if (!collections) return;
    this.#databases.delete(db);
    this.#log.record({ op: 'dropDatabase', db });
    this.#dropped([...collections.values()]);
  }

  #dropped(collections: readonly Collection[]): void {
    for (const collection of collections) {
      collection.dropped = true;
      for (const listener of this.#dropListeners) listener(collection);
    }
  }

  /** Re-applies a logged change (recovery); the log is detached meanwhile so nothing is re-logged. */
  apply(change: ChangeRecord): void {
    switch (change.op) {
      case 'create':
        this.createCollection(change.db, change.coll, change.options, toUuid(change.uuid));
        return;
      case 'drop':
        this.dropCollection(change.db, change.coll);
        return;
      case 'dropDatabase':
        this.dropDatabase(change.db);
        return;
      case 'createIndex':
        this.#existing(change.db, change.coll).createIndex(change.spec);
        return;
      case 'dropIndex':
        this.#existing(change.db, change.coll).dropIndex(change.name);
        return;
      case 'put':
        this.#existing(change.db, change.coll).put(change.doc);
        return;
      case 'delete':
        this.#existing(change.db, change.coll).delete(encodeKey(change.id));
        return;
      default: {
        const unknown: never = change;
        throw new Error(`unknown change record ${JSON.stringify(unknown)}`);
      }
    }
  }

  #existing(db: string, name: string): Collection {
    const collection = this.collection(db, name);
    if (!collection) throw new Error(`change record for ${db}.${name}, which does not exist`);
    return collection;
  }
}

function toUuid(value: unknown): UUID {
  if (value instanceof UUID) return value;
  // Journal records come back as Binary subtype 4; rebuild the UUID from its bytes.
  const bytes = (value as { buffer?: Uint8Array } | undefined)?.buffer;
  return bytes ? new UUID(bytes) : new UUID();
}
