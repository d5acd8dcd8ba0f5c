/**
 * How a ticker's moving windows are stored: the samples (up to 45 quotes in 15 minutes at one
 * every 20 s) as one BSON binary of little-endian float64 pairs, [market time ms, price], oldest
 * first, instead of an array of two-element arrays. A batch rewrites every ticker document it
 * touched, and each layer that handles the document (the driver's encoding, the server's
 * decoding, checks, journal and snapshot) does work per BSON value: packed, the samples are one
 * value instead of ~135, and a float64 keeps every price and sum bit-exact, as before.
 * Documents written before (samples as arrays) are read as they are.
 */
import { mongo } from 'mongoose';
import type { MovingWindowsSnapshot } from '../domain/moving-windows.ts';

/** The samples as stored: packed (a driver `Binary`, or bytes), or as arrays (earlier documents). */
type StoredSamples = mongo.Binary | Uint8Array | MovingWindowsSnapshot['samples'];

export interface StoredWindows {
  readonly samples: StoredSamples;
  readonly windows: MovingWindowsSnapshot['windows'];
}

const PAIR_BYTES = 16;

export function packWindows(snapshot: MovingWindowsSnapshot | null): StoredWindows | null {
  if (!snapshot) return null;
  const bytes = Buffer.allocUnsafe(snapshot.samples.length * PAIR_BYTES);
  snapshot.samples.forEach(([time, price], i) => {
    bytes.writeDoubleLE(time, i * PAIR_BYTES);
    bytes.writeDoubleLE(price, i * PAIR_BYTES + 8);
  });
  return { samples: new mongo.Binary(bytes), windows: snapshot.windows };
}

export function unpackWindows(
  stored: StoredWindows | null | undefined,
): MovingWindowsSnapshot | null {
  if (!stored) return null;
  const { samples } = stored;
  if (Array.isArray(samples)) return { samples, windows: stored.windows };
  const raw = samples instanceof mongo.Binary ? samples.buffer : (samples as Uint8Array);
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (bytes.length % PAIR_BYTES !== 0) {
    throw new Error(
      `stored window samples are ${bytes.length} bytes, not whole [time, price] pairs`,
    );
  }
  const pairs: [number, number][] = [];
  for (let at = 0; at < bytes.length; at += PAIR_BYTES) {
    pairs.push([bytes.readDoubleLE(at), bytes.readDoubleLE(at + 8)]);
  }
  return { samples: pairs, windows: stored.windows };
}
