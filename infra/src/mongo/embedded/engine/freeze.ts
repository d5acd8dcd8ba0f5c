/**
 * Stored documents are immutable: updates build a new document, so cursors, snapshots and index
 * entries can hold references without copying, and any code path that tries to change a stored
 * document in place fails loudly instead of corrupting it. Only plain objects and arrays are
 * frozen; BSON value classes (ObjectId, Binary...) are already immutable in use.
 */
import { isPlainObject } from './index-keys.ts';

export function deepFreeze<T>(value: T): T {
  if (Array.isArray(value)) {
    for (const element of value) deepFreeze(element);
    Object.freeze(value);
  } else if (isPlainObject(value)) {
    for (const key in value) deepFreeze(value[key]);
    Object.freeze(value);
  }
  return value;
}
