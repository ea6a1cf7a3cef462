import * as crc from 'tos-crc64-js';
import { Crc64Engine } from './crc64-wasm';

/**
 * CRC-64/XZ ("CRC64-ECMA" in TOS headers: reflected polynomial 0xC96C5795D7870F42, init and xorout all ones),
 * as unsigned decimal strings: the form `x-tos-hash-crc64ecma` carries.
 *
 * The checksum runs in a WebAssembly slicing-by-16 function assembled in `crc64-wasm.ts` (native 64-bit
 * registers). tos-crc64-js, the SDK's Emscripten build, copies every input into its heap and ran at 50-90 MB/s
 * here; the JavaScript slicing-by-8 that replaced it at about 1 GB/s; this at about 2.5 GB/s per core. The tests
 * check it bit for bit against tos-crc64-js. Combining is rare and cheap, so it stays with tos-crc64-js.
 */

let shared: Crc64Engine | undefined;
function engine(): Crc64Engine {
  shared ??= new Crc64Engine();
  return shared;
}

const ALL_ONES = (1n << 64n) - 1n;

/** Incremental CRC64 of a byte stream, continuing from `prev` (the CRC of the bytes before; '0' for none). */
export class Crc64 {
  private register: bigint;
  private readonly engine = engine();

  constructor(prev = '0') {
    this.register = BigInt(prev) ^ ALL_ONES;
  }

  update(buf: Uint8Array): this {
    const { input } = this.engine;
    for (let at = 0; at < buf.length; at += input.length) {
      const piece = buf.subarray(at, Math.min(buf.length, at + input.length));
      input.set(piece);
      this.register = this.engine.update(this.register, piece.length);
    }
    return this;
  }

  /** The CRC so far, as an unsigned decimal string. */
  value(): string {
    return (BigInt.asUintN(64, this.register) ^ ALL_ONES).toString();
  }
}

/** CRC of `buf`, continuing from `prev` (the CRC of the bytes before it; '0' for none). */
export function crc64(buf: Uint8Array, prev = '0'): string {
  return new Crc64(prev).update(buf).value();
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
