/** The collector's database (`tickwatch_collector`): typed driver collections next to the models. */
import type { Collection, Document } from 'mongodb';
import type { Connection } from 'mongoose';

/** The driver collection behind a model, typed with its rows (string ids, not ObjectIds). */
export function collectionOf<T extends Document>(
  connection: Connection,
  name: string,
): Collection<T> {
  if (!connection.db) throw new Error('MongoDB is not connected yet');
  return connection.db.collection<T>(name);
}
