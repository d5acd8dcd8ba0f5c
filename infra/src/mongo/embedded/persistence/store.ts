/**
 * Persistence for one data directory: recovery at start, the journal while running, and
 * compaction into a snapshot once the journal's history outweighs the live data (more than
 * HISTORY_RATIO times the last snapshot, past a small floor) or outgrows `compactAfterBytes`,
 * so start-up time and memory follow the size of the data, not the length of its history: a
 * small collection updated all day never leaves a long journal behind.
 *
 * Recovery: newest complete snapshot, then every journal from its generation on, in order. A
 * torn record at the end of a journal (a crash mid-append) is cut off with a warning; the
 * acknowledged changes before it are all there because replies wait for the journal write.
 */
import { readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Catalog } from '../engine/catalog.ts';
import type { ChangeRecord } from '../engine/change-log.ts';
import type { Durability } from '../server/durability.ts';
import { journalFile, lockDirectory, readLayout, snapshotFile } from './data-dir.ts';
import { Journal } from './journal.ts';
import { readRecords } from './record-format.ts';
import { captureCatalog, loadSnapshot, writeSnapshot } from './snapshot.ts';

export interface Store extends Durability {
  /** Writes a snapshot now and drops the journals it covers (also runs on its own). */
  compact(): Promise<void>;
  close(): Promise<void>;
  /** Bytes in the current journal file (for the journal_bytes metric). */
  readonly journalBytes: number;
}

export interface StoreOptions {
  readonly dir: string;
  readonly catalog: Catalog;
  readonly compactAfterBytes: number;
  readonly logger: Logger;
}

/** Journal bytes below which compacting by ratio is not worth a snapshot. */
const RATIO_FLOOR_BYTES = 1 << 20;
/** Compact once the journal holds this many times the bytes of the live data. */
const HISTORY_RATIO = 2;

export async function openStore(options: StoreOptions): Promise<Store> {
  const { dir, catalog, compactAfterBytes, logger } = options;
  const unlock = await lockDirectory(dir);
  let generation: number;
  let replayedBytes: number;
  /** Size of the live data as of the last snapshot (what the journal's history is weighed against). */
  let liveBytes: number;
  try {
    ({ generation, replayedBytes, liveBytes } = recover(dir, catalog, logger));
  } catch (error) {
    await unlock();
    throw error;
  }
  const outweighs = (historyBytes: number) =>
    historyBytes > compactAfterBytes ||
    (historyBytes > RATIO_FLOOR_BYTES && historyBytes > HISTORY_RATIO * liveBytes);
  // Always start a fresh journal: never append after a file that recovery may have cut.
  generation++;
  const journal = new Journal(journalFile(dir, generation), logger);
  catalog.attachLog({
    record: (change: ChangeRecord) => {
      journal.append(change);
    },
  });

  let compacting: Promise<void> | undefined;
  let closed = false;
  const compact = (): Promise<void> =>
    (compacting ??= (async () => {
      const gen = ++generation;
      journal.rotate(journalFile(dir, gen));
      const capture = captureCatalog(catalog);
      const started = performance.now();
      liveBytes = await writeSnapshot(snapshotFile(dir, gen), capture);
      for (const old of readLayout(dir).journals.filter((g) => g < gen))
        rmSync(journalFile(dir, old), { force: true });
      for (const old of readLayout(dir).snapshots.filter((g) => g < gen))
        rmSync(snapshotFile(dir, old), { force: true });
      logger.info(
        {
          generation: gen,
          documents: capture.documents,
          bytes: liveBytes,
          ms: Math.round(performance.now() - started),
        },
        'journal compacted into a snapshot',
      );
    })()
      .catch((error: unknown) => {
        logger.error({ err: error }, 'snapshot failed; the journals are kept');
      })
      .finally(() => {
        compacting = undefined;
      }));

  const timer = setInterval(() => {
    if (!closed && outweighs(journal.currentBytes)) void compact();
  }, 1000);
  timer.unref();
  if (outweighs(replayedBytes)) void compact();

  return {
    get appended() {
      return journal.appended;
    },
    get journalBytes() {
      return journal.currentBytes;
    },
    commit: (fsync) => journal.commit(fsync),
    compact,
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await compacting;
      try {
        await journal.close();
      } finally {
        await unlock();
      }
    },
  };
}

function recover(
  dir: string,
  catalog: Catalog,
  logger: Logger,
): { generation: number; replayedBytes: number; liveBytes: number } {
  const layout = readLayout(dir);
  const snapshot = layout.snapshots[layout.snapshots.length - 1] ?? 0;
  const started = performance.now();
  let applied = 0;
  let liveBytes = 0;
  if (snapshot > 0) {
    const file = snapshotFile(dir, snapshot);
    liveBytes = statSync(file).size;
    for (const change of loadSnapshot(file)) catalog.apply(change);
  }
  let replayedBytes = 0;
  for (const gen of layout.journals) {
    const file = journalFile(dir, gen);
    if (gen < snapshot) {
      rmSync(file, { force: true }); // already inside the snapshot
      continue;
    }
    const data = readFileSync(file);
    const { records, validBytes, tornBytes } = readRecords(data, file);
    if (tornBytes > 0) {
      logger.warn(
        { file, validBytes, tornBytes },
        'journal ends with a torn record (crash mid-write); cutting it off',
      );
      truncateSync(file, validBytes);
    }
    for (const record of records) catalog.apply(record as unknown as ChangeRecord);
    applied += records.length;
    replayedBytes += validBytes;
  }
  const generation = Math.max(snapshot, ...layout.journals, 0);
  logger.info(
    {
      dir,
      snapshot: snapshot || null,
      journalRecords: applied,
      ms: Math.round(performance.now() - started),
    },
    'embedded MongoDB data recovered',
  );
  return { generation, replayedBytes, liveBytes };
}
