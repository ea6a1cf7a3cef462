import * as crc from 'tos-crc64-js';

/**
 * CRC-64/XZ ("CRC64-ECMA" in TOS headers), as unsigned decimal strings: the form `x-tos-hash-crc64ecma`
 * carries. Backed by tos-crc64-js, the same implementation the TOS SDK uses, so both sides agree bit for bit.
 */

/**
 * tos-crc64-js copies its input into an Emscripten heap; a multi-MiB buffer makes it grow that heap (slow,
 * and it prints "Enlarging memory arrays" to stderr). Feeding it bounded slices keeps the heap small.
 */
const SLICE_BYTES = 1024 * 1024;

/** CRC of `buf`, continuing from `prev` (the CRC of the bytes before it; '0' for none). */
export function crc64(buf: Buffer, prev = '0'): string {
  let value = prev;
  for (let offset = 0; offset < buf.length; offset += SLICE_BYTES) {
    value = crc.crc64(buf.subarray(offset, Math.min(buf.length, offset + SLICE_BYTES)), value);
  }
  return value;
}

/** CRC of A followed by B, from the CRC of A, the CRC of B and the length of B (zlib's crc_combine). */
export function combineCrc64(a: string, b: string, lenB: number): string {
  if (lenB === 0) return a;
  return crc.combineCrc64(a, b, lenB);
}

/** CRC of a sequence of blocks given as (crc, length) pairs, in order. */
export function combineCrc64List(blocks: readonly { crc64: string; size: number }[]): string {
  return blocks.reduce((acc, block) => combineCrc64(acc, block.crc64, block.size), '0');
}
