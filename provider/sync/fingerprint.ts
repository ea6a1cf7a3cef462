import { createReadStream } from 'node:fs';
import { crc64 } from '../api/crc64';

/** Read size while hashing: large enough for few syscalls, small enough to keep memory flat. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * CRC64-ECMA of a file, streamed chunk by chunk: the same value TOS reports in `x-tos-hash-crc64ecma`, so the
 * local fingerprint and the remote object can be compared without downloading anything.
 */
export async function crc64OfFile(file: string, onBytes?: (n: number) => void): Promise<string> {
  let value = '0';
  const stream = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  for await (const chunk of stream) {
    value = crc64(chunk as Buffer, value);
    onBytes?.((chunk as Buffer).length);
  }
  return value;
}
