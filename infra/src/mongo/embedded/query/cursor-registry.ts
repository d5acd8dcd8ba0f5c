/**
 * Open cursors: results waiting to be fetched by getMore, in batches. A cursor holds references
 * to stored documents (immutable, so no copy is needed) and projects each batch as it goes out.
 * Batches stop at the requested size or at 16 MiB, as on the server; idle cursors are reaped
 * after 10 minutes (the server's cursorTimeoutMillis default).
 */
import { BSON, Long, type Document } from 'bson';
import { fail } from '../errors.ts';
import { Limits } from '../wire/constants.ts';
import type { Projector } from './projection.ts';

/** find's first batch when the client gives no batchSize (the server's default). */
const DEFAULT_FIRST_BATCH = 101;
/** Room left in a reply for the envelope around the batch. */
const BATCH_BYTES = Limits.maxBsonObjectSize - 16 * 1024;
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;

interface OpenCursor {
  readonly namespace: string;
  readonly docs: readonly Document[];
  readonly project: Projector;
  /** `noCursorTimeout`: never reaped for idleness (the client must kill it). */
  readonly immortal: boolean;
  position: number;
  lastUsed: number;
  /** Why the next getMore must fail (its collection was dropped), as the server reports it. */
  killedBecause?: string;
}

export interface CursorReply {
  readonly id: Long;
  readonly ns: string;
  readonly firstBatch?: Document[];
  readonly nextBatch?: Document[];
}

export class CursorRegistry {
  readonly #cursors = new Map<number, OpenCursor>();
  /** Random start so ids from before a restart are unlikely to hit a new cursor. */
  #nextId = 1 + Math.floor(Math.random() * 2 ** 40);

  /** Returns the first batch and, if results remain (and `singleBatch` is false), an open cursor id. */
  open(
    namespace: string,
    docs: readonly Document[],
    project: Projector,
    options: { batchSize?: number; singleBatch?: boolean; noCursorTimeout?: boolean },
  ): CursorReply {
    const cursor: OpenCursor = {
      namespace,
      docs,
      project,
      immortal: options.noCursorTimeout === true,
      position: 0,
      lastUsed: Date.now(),
    };
    const firstBatch = this.#batch(cursor, options.batchSize ?? DEFAULT_FIRST_BATCH);
    if (cursor.position >= docs.length || options.singleBatch) {
      return { id: Long.ZERO, ns: namespace, firstBatch };
    }
    const id = this.#nextId++;
    this.#cursors.set(id, cursor);
    return { id: Long.fromNumber(id), ns: namespace, firstBatch };
  }

  getMore(rawId: unknown, namespace: string, batchSize: number | undefined): CursorReply {
    const id = Number(rawId);
    const cursor = this.#cursors.get(id);
    if (!cursor) throw fail('CursorNotFound', `cursor id ${String(rawId)} not found`);
    if (cursor.namespace !== namespace) {
      throw fail(
        'Unauthorized',
        `Requested getMore on namespace '${namespace}', but cursor belongs to a different namespace ${cursor.namespace}`,
      );
    }
    if (cursor.killedBecause !== undefined) {
      this.#cursors.delete(id);
      throw fail(
        'QueryPlanKilled',
        `Executor error during getMore :: caused by :: ${cursor.killedBecause}`,
      );
    }
    cursor.lastUsed = Date.now();
    // getMore without batchSize returns as much as fits in one reply.
    const nextBatch = this.#batch(cursor, batchSize && batchSize > 0 ? batchSize : Infinity);
    if (cursor.position >= cursor.docs.length) {
      this.#cursors.delete(id);
      return { id: Long.ZERO, ns: namespace, nextBatch };
    }
    return { id: Long.fromNumber(id), ns: namespace, nextBatch };
  }

  /** Kills the given cursors; returns which were killed and which did not exist. */
  kill(namespace: string, ids: readonly unknown[]): { killed: Long[]; notFound: Long[] } {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const raw of ids) {
      const id = Number(raw);
      const cursor = this.#cursors.get(id);
      if (cursor && cursor.namespace === namespace) {
        this.#cursors.delete(id);
        killed.push(Long.fromNumber(id));
      } else {
        notFound.push(Long.fromNumber(id));
      }
    }
    return { killed, notFound };
  }

  /**
   * The collection behind `namespace` was dropped: its cursors stop serving what they hold and
   * fail their next getMore with QueryPlanKilled (175), as a real server's do.
   */
  collectionDropped(namespace: string, uuid: string): void {
    for (const cursor of this.#cursors.values()) {
      if (cursor.namespace === namespace) cursor.killedBecause = `collection dropped. UUID ${uuid}`;
    }
  }

  /** Drops cursors idle for longer than the timeout; returns how many. */
  reapIdle(now = Date.now()): number {
    let reaped = 0;
    for (const [id, cursor] of this.#cursors) {
      if (!cursor.immortal && now - cursor.lastUsed > IDLE_TIMEOUT_MS) {
        this.#cursors.delete(id);
        reaped++;
      }
    }
    return reaped;
  }

  get size(): number {
    return this.#cursors.size;
  }

  clear(): void {
    this.#cursors.clear();
  }

  #batch(cursor: OpenCursor, maxCount: number): Document[] {
    const batch: Document[] = [];
    let bytes = 0;
    while (cursor.position < cursor.docs.length && batch.length < maxCount) {
      const doc = cursor.project(cursor.docs[cursor.position] as Document);
      const size = BSON.calculateObjectSize(doc);
      if (batch.length > 0 && bytes + size > BATCH_BYTES) return batch;
      batch.push(doc);
      bytes += size;
      cursor.position++;
    }
    return batch;
  }
}
