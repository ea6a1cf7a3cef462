import { Crc64Engine } from './crc64-wasm';

/**
 * CRC-64/XZ ("CRC64-ECMA" in TOS headers: reflected polynomial 0xC96C5795D7870F42, init and xorout all ones),
 * as unsigned decimal strings: the form `x-tos-hash-crc64ecma` carries.
 *
 * The checksum runs in a WebAssembly slicing-by-16 function assembled in `crc64-wasm.ts` (native 64-bit
 * registers). tos-crc64-js, the SDK's Emscripten build, copies every input into its heap and ran at 50-90 MB/s
 * here; the JavaScript slicing-by-8 that replaced it at about 650 MB per CPU-second; this at about 2.4 GB. The
 * tests check it bit for bit against tos-crc64-js. Combining is done here too, in BigInt GF(2) arithmetic:
 * tos-crc64-js's combine takes the second length as a 32-bit integer, so a block of 4 GiB or more (a 5 GiB part,
 * the zero run of a seeded 16 GiB object) came out wrong.
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

/** Reflected ECMA-182 polynomial. */
const POLY = 0xc96c5795d7870f42n;
/** x^0 in the reflected representation (bit 63 is the lowest power). */
const X0 = 1n << 63n;

/** a(x)·b(x) mod p(x), both reflected (zlib's multmodp, 64-bit). */
function multModP(a: bigint, b: bigint): bigint {
  let m = X0;
  let product = 0n;
  for (;;) {
    if (a & m) {
      product ^= b;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    b = b & 1n ? (b >> 1n) ^ POLY : b >> 1n;
  }
  return product;
}

/** X2N[k] = x^(2^k) mod p; 64 entries cover every bit length a JavaScript number can express. */
const X2N: bigint[] = (() => {
  const table: bigint[] = [];
  let p = X0 >> 1n; // x^1
  for (let k = 0; k < 64; k++) {
    table.push(p);
    p = multModP(p, p);
  }
  return table;
})();

/** x^(8·bytes) mod p: the operator that shifts a CRC register past `bytes` zero bytes, in log(bytes) steps. */
function shiftOperator(bytes: number): bigint {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new Error(`CRC64 block length must be a non-negative safe integer; found ${bytes}`);
  let p = X0;
  let n = BigInt(bytes);
  for (let k = 3; n > 0n; k++, n >>= 1n) if (n & 1n) p = multModP(X2N[k]!, p);
  return p;
}

/**
 * CRC of A followed by B, from the CRC of A, the CRC of B and the length of B (zlib's crc_combine; valid because
 * init and xorout are the same for CRC-64/XZ). Lengths up to 2^53 bytes.
 */
export function combineCrc64(a: string, b: string, lenB: number): string {
  if (lenB === 0) return a;
  return (multModP(shiftOperator(lenB), BigInt(a)) ^ BigInt(b)).toString();
}

/**
 * CRC of `length` zero bytes following bytes whose CRC is `prev` ('0' for none), without reading any: the
 * register shifted past them, xored out. Seeded objects (a header followed by gigabytes of zeros) get their CRC
 * from this in well under a millisecond.
 */
export function crc64OfZeros(length: number, prev = '0'): string {
  if (length === 0) return prev;
  return (multModP(shiftOperator(length), BigInt(prev) ^ ALL_ONES) ^ ALL_ONES).toString();
}

/** CRC of a sequence of blocks given as (crc, length) pairs, in order. */
export function combineCrc64List(blocks: readonly { crc64: string; size: number }[]): string {
  return blocks.reduce((acc, block) => combineCrc64(acc, block.crc64, block.size), '0');
}
