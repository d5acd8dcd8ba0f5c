/**
 * Database and collection name rules (the server's NamespaceString checks), so a name a real
 * server would refuse is refused here too instead of working locally and failing in production.
 */
import { fail } from '../errors.ts';

const DB_FORBIDDEN = /[/\\. "$\0]/;

export function checkDatabaseName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0)
    throw fail('InvalidNamespace', 'database names cannot be empty');
  if (name.length >= 64)
    throw fail('InvalidNamespace', `db name '${name}' is too long (max 63 characters)`);
  if (DB_FORBIDDEN.test(name)) throw fail('InvalidNamespace', `Invalid database name: '${name}'`);
  return name;
}

export function checkCollectionName(db: string, name: unknown): string {
  if (typeof name !== 'string') throw fail('InvalidNamespace', 'collection name must be a string');
  if (name.length === 0) throw fail('InvalidNamespace', `Invalid namespace specified '${db}.'`);
  if (
    name.includes('\0') ||
    name.includes('$') ||
    name.startsWith('.') ||
    name.startsWith('system.')
  ) {
    throw fail('InvalidNamespace', `Invalid collection name: ${name}`);
  }
  if (db.length + 1 + name.length > 255) {
    throw fail('InvalidNamespace', `Fully qualified namespace is too long: ${db}.${name}`);
  }
  return name;
}
