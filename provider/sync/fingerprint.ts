import { promises as fs } from 'node:fs';
import { combineCrc64List } from '../api/crc64';
import { hashPool, type HashPool } from './hash-pool';
import { partLayout } from './upload';

/**
 * A file is hashed in segments of this size, on as many threads as there are cores, and the segment CRCs are
 * combined (zlib's crc64_combine): one large shard uses every core, not one. Large enough that combining and
 * messaging cost nothing next to hashing.
 */
export const SEGMENT_BYTES = 32 * 1024 * 1024;

/**
 * CRC64-ECMA of a file: the same value TOS reports in `x-tos-hash-crc64ecma`, so the local fingerprint and the
 * remote object can be compared without downloading anything. `size` is the size the walk saw; a file that
 * shrank meanwhile fails, one that grew is hashed up to `size` (the size check before upload catches it).
 */
export async function crc64OfFile(file: string, size?: number, pool: HashPool = hashPool()): Promise<string> {
  const bytes = size ?? (await fs.stat(file)).size;
  // Segments laid out like upload parts; an empty file has none, and the CRC of nothing is '0'.
  const segments = partLayout(bytes, SEGMENT_BYTES).map(({ start, end }) =>
    pool.hashRange(file, start, end).then((d) => ({ crc64: d.crc64, size: end - start })),
  );
  return combineCrc64List(await Promise.all(segments));
}
