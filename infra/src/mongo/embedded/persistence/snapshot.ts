/**
 * Snapshots: the whole catalog written as the change records that rebuild it (create,
 * createIndex, put), between a header and an end marker. A snapshot is written to a temporary
 * file, fsynced and renamed into place, so a snapshot file either is complete or does not exist.
 * Capturing is synchronous and cheap: stored documents are immutable, so the capture holds
 * references and the writing happens later without blocking the server.
 */
import { readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Catalog } from '../engine/catalog.ts';
import type { ChangeRecord } from '../engine/change-log.ts';
import { encodeRecord, readRecords, CorruptFileError } from './record-format.ts';

export interface Capture {
  readonly records: ChangeRecord[];
  readonly documents: number;
}

/** Everything needed to rebuild the catalog as it is at this instant. */
export function captureCatalog(catalog: Catalog): Capture {
  const records: ChangeRecord[] = [];
  let documents = 0;
  for (const collection of catalog.allCollections()) {
    const { db, name: coll } = collection;
    records.push({ op: 'create', db, coll, options: collection.options, uuid: collection.uuid });
    for (const spec of collection.indexSpecs().slice(1))
      records.push({ op: 'createIndex', db, coll, spec });
    for (const doc of collection.docs.values()) {
      records.push({ op: 'put', db, coll, doc });
      documents++;
    }
  }
  return { records, documents };
}

/**
 * Writes `capture` as `file`, atomically (temporary file, fsync, rename, directory fsync), and
 * returns its size in bytes.
 */
export async function writeSnapshot(file: string, capture: Capture): Promise<number> {
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, 'w');
  let total = 0;
  try {
    let chunk: Buffer[] = [encodeRecord({ snapshot: 1, createdAt: new Date() })];
    let chunkBytes = 0;
    for (const record of capture.records) {
      const frame = encodeRecord(record);
      chunk.push(frame);
      chunkBytes += frame.length;
      total += frame.length;
      if (chunkBytes >= 1 << 20) {
        await handle.writev(chunk);
        chunk = [];
        chunkBytes = 0;
      }
    }
    chunk.push(encodeRecord({ end: true, records: capture.records.length }));
    await handle.writev(chunk);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  await syncDirectory(path.dirname(file));
  return total;
}

/** The change records stored in a snapshot; a snapshot without its end marker is corrupt. */
export function loadSnapshot(file: string): ChangeRecord[] {
  const { records, tornBytes } = readRecords(readFileSync(file), file);
  const header = records[0];
  const end = records[records.length - 1];
  if (
    tornBytes > 0 ||
    header?.snapshot !== 1 ||
    end?.end !== true ||
    end.records !== records.length - 2
  ) {
    throw new CorruptFileError(
      `${file}: incomplete snapshot (renamed into place only when complete, so this is corruption)`,
    );
  }
  return records.slice(1, -1) as unknown as ChangeRecord[];
}

export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
