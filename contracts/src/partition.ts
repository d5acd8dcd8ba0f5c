/**
 * Which alerter partition owns a ticker. The hash must never change between processes or
 * releases (a ticker moving partitions would split its rules from its trigger state), so it is
 * spelled out here rather than borrowed from a runtime: FNV-1a over the UTF-8 bytes, then
 * murmur3's 32-bit finaliser so the low bits used by `mod` are well mixed.
 */
/** Number of alerter partitions. Changing it re-maps tickers: see the README migration section. */
export const PARTITIONS = 16;

const encoder = new TextEncoder();

export function stableHash32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

export function partitionOf(ticker: string, partitions: number = PARTITIONS): number {
  return stableHash32(ticker) % partitions;
}

/** Throws unless `partition` names one of the PARTITIONS partitions. */
export function checkPartition(partition: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= PARTITIONS) {
    throw new RangeError(`partition must be an integer in [0, ${PARTITIONS}), got ${partition}`);
  }
}
