/**
 * One collection: documents by `_id` (the `_id` index is this map), its secondary indexes, and
 * the three primitive changes (insert, replace, delete). Each primitive checks every constraint
 * before touching anything, then applies and records the change in one synchronous step, so a
 * document change is atomic and indexes never disagree with the documents.
 */
import type { UUID } from 'bson';
import { type Document } from 'bson';
import { fail } from '../errors.ts';
import type { ChangeLog } from './change-log.ts';
import { formatDocument } from './format-key.ts';
import { deepFreeze } from './freeze.ts';
import { Index } from './index.ts';
import type { IndexSpec } from './index-keys.ts';
import { encodeKey } from './key-encoding.ts';

export const ID_INDEX_SPEC: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };

export class Collection {
  readonly db: string;
  readonly name: string;
  readonly options: Document;
  readonly uuid: UUID;
  /** Documents keyed by the canonical encoding of their `_id`, in insertion (natural) order. */
  readonly docs = new Map<string, Document>();
  readonly #indexes = new Map<string, Index>();
  readonly #log: ChangeLog;
  /** Set when the collection stops existing; an operation that yielded checks it. */
  dropped = false;

  constructor(db: string, name: string, options: Document, uuid: UUID, log: ChangeLog) {
    this.db = db;
    this.name = name;
    this.options = options;
    this.uuid = uuid;
    this.#log = log;
  }

  get namespace(): string {
    return `${this.db}.${this.name}`;
  }

  get indexes(): readonly Index[] {
    return [...this.#indexes.values()];
  }

  /** Every index document, `_id_` first, as listIndexes reports them. */
  indexSpecs(): IndexSpec[] {
    return [ID_INDEX_SPEC, ...[...this.#indexes.values()].map((index) => index.spec)];
  }

  getIndex(name: string): Index | undefined {
    return this.#indexes.get(name);
  }

  get(id: string): Document | undefined {
    return this.docs.get(id);
  }

  /** Stores a new document (which must carry `_id`); throws E11000 and changes nothing on conflict. */
  insert(doc: Document): void {
    const id = encodeKey(doc._id);
    if (this.docs.has(id)) throw this.#duplicateId(doc._id);
    for (const index of this.#indexes.values()) index.check(doc, id, this.namespace);
    deepFreeze(doc);
    this.docs.set(id, doc);
    for (const index of this.#indexes.values()) index.add(doc, id);
    this.#log.record({ op: 'put', db: this.db, coll: this.name, doc });
  }

  /** Replaces the document stored under `id` (same `_id`) after checking every index. */
  replace(id: string, next: Document): void {
    const previous = this.docs.get(id);
    if (!previous) throw fail('InternalError', `document ${id} vanished during an update`);
    const steps = [...this.#indexes.values()].map((index) =>
      index.prepareReplace(previous, next, id, this.namespace),
    );
    deepFreeze(next);
    for (const apply of steps) apply();
    this.docs.set(id, next);
    this.#log.record({ op: 'put', db: this.db, coll: this.name, doc: next });
  }

  delete(id: string): Document | undefined {
    const doc = this.docs.get(id);
    if (!doc) return undefined;
    for (const index of this.#indexes.values()) index.remove(doc, id);
    this.docs.delete(id);
    this.#log.record({ op: 'delete', db: this.db, coll: this.name, id: doc._id });
    return doc;
  }

  /** Insert-or-replace by `_id`, for journal replay. */
  put(doc: Document): void {
    const id = encodeKey(doc._id);
    if (this.docs.has(id)) this.replace(id, doc);
    else this.insert(doc);
  }

  /**
   * Builds an index over the existing documents. Returns false when an identical index exists;
   * conflicting definitions and duplicate keys (for unique) fail without leaving a partial index.
   */
  createIndex(spec: IndexSpec): boolean {
    if (spec.name === ID_INDEX_SPEC.name || sameKey(spec.key, ID_INDEX_SPEC.key)) {
      if (
        spec.name !== ID_INDEX_SPEC.name ||
        !sameKey(spec.key, ID_INDEX_SPEC.key) ||
        spec.unique !== undefined
      ) {
        throw fail(
          'IndexKeySpecsConflict',
          `An existing index has the same name or key as the requested index: ${formatDocument(spec as unknown as Document)}`,
        );
      }
      return false;
    }
    if (this.#identicalExists(spec)) return false;
    const index = new Index(spec);
    for (const [id, doc] of this.docs) {
      index.check(doc, id, this.namespace);
      index.add(doc, id);
    }
    this.#indexes.set(spec.name, index);
    this.#log.record({ op: 'createIndex', db: this.db, coll: this.name, spec });
    return true;
  }

  /**
   * The server's rules (index_catalog_impl.cpp _doesSpecConflictWithExisting): key, unique,
   * sparse and partial filter identify an index; other options (TTL) do not. True when an
   * identical index exists (nothing to build); throws 85/86 for every other conflict.
   */
  #identicalExists(spec: IndexSpec): boolean {
    const requested = formatDocument(spec as unknown as Document);
    const sameName = this.#indexes.get(spec.name);
    if (sameName) {
      const existing = formatDocument(sameName.spec as unknown as Document);
      if (!sameIdentity(sameName.spec, spec)) {
        throw fail(
          'IndexKeySpecsConflict',
          `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${requested}, existing index: ${existing}`,
        );
      }
      if (!identical(sameName.spec, spec)) {
        throw fail(
          'IndexOptionsConflict',
          `An equivalent index already exists with the same name but different options. Requested index: ${requested}, existing index: ${existing}`,
        );
      }
      return true;
    }
    for (const other of this.#indexes.values()) {
      if (!sameIdentity(other.spec, spec)) continue;
      throw fail(
        'IndexOptionsConflict',
        identical(other.spec, spec)
          ? `Index already exists with a different name: ${other.name}`
          : `An equivalent index already exists with a different name and options. Requested index: ${requested}, existing index: ${formatDocument(other.spec as unknown as Document)}`,
      );
    }
    return false;
  }

  dropIndex(name: string): void {
    if (name === ID_INDEX_SPEC.name) throw fail('InvalidOptions', 'cannot drop _id index');
    if (!this.#indexes.delete(name))
      throw fail('IndexNotFound', `index not found with name [${name}]`);
    this.#log.record({ op: 'dropIndex', db: this.db, coll: this.name, name });
  }

  #duplicateId(idValue: unknown) {
    return fail(
      'DuplicateKey',
      `E11000 duplicate key error collection: ${this.namespace} index: _id_ dup key: ${formatDocument({ _id: idValue })}`,
      { keyPattern: { _id: 1 }, keyValue: { _id: idValue } },
    );
  }
}

function sameKey(
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>,
): boolean {
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  return keysA.length === keysB.length && keysA.every((k, i) => k === keysB[i] && a[k] === b[k]);
}

/** Key and the options that make two indexes on the same key different indexes. */
function sameIdentity(a: IndexSpec, b: IndexSpec): boolean {
  return (
    sameKey(a.key, b.key) &&
    Boolean(a.unique) === Boolean(b.unique) &&
    Boolean(a.sparse) === Boolean(b.sparse) &&
    encodeKey(a.partialFilterExpression ?? null) === encodeKey(b.partialFilterExpression ?? null) &&
    encodeKey(a.collation ?? null) === encodeKey(b.collation ?? null)
  );
}

function identical(a: IndexSpec, b: IndexSpec): boolean {
  return sameIdentity(a, b) && a.expireAfterSeconds === b.expireAfterSeconds;
}
