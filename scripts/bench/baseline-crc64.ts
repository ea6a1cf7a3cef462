/**
 * The CRC64 ark-local and the sync used before the WebAssembly one (JavaScript slicing-by-8 over two 32-bit
 * halves), kept only so `npm run bench` can put "before" and "after" side by side in one process.
 */
const POLY_LO = 0xd7870f42;
const POLY_HI = 0xc96c5795;

/** TABLES_LO[k][b] / TABLES_HI[k][b]: the CRC register contribution of byte b followed by k zero bytes. */
const { TABLES_LO, TABLES_HI } = buildTables();

function buildTables(): { TABLES_LO: Uint32Array[]; TABLES_HI: Uint32Array[] } {
  const lo0 = new Uint32Array(256);
  const hi0 = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let lo = i;
    let hi = 0;
    for (let bit = 0; bit < 8; bit++) {
      const carry = lo & 1;
      lo = (lo >>> 1) | (hi << 31);
      hi = hi >>> 1;
      if (carry) {
        lo ^= POLY_LO;
        hi ^= POLY_HI;
      }
    }
    lo0[i] = lo >>> 0;
    hi0[i] = hi >>> 0;
  }
  const tablesLo = [lo0];
  const tablesHi = [hi0];
  for (let k = 1; k < 8; k++) {
    const prevLo = tablesLo[k - 1];
    const prevHi = tablesHi[k - 1];
    const lo = new Uint32Array(256);
    const hi = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      const index = prevLo[i] & 0xff;
      lo[i] = (lo0[index] ^ ((prevLo[i] >>> 8) | (prevHi[i] << 24))) >>> 0;
      hi[i] = (hi0[index] ^ (prevHi[i] >>> 8)) >>> 0;
    }
    tablesLo.push(lo);
    tablesHi.push(hi);
  }
  return { TABLES_LO: tablesLo, TABLES_HI: tablesHi };
}

const [L0, L1, L2, L3, L4, L5, L6, L7] = TABLES_LO;
const [H0, H1, H2, H3, H4, H5, H6, H7] = TABLES_HI;
const MASK_32 = 0xffffffffn;

/** CRC of `buf`, continuing from `prev` (the CRC of the bytes before it; '0' for none). */
export function baselineCrc64(buf: Uint8Array, prev = '0'): string {
  const register = BigInt.asUintN(64, ~BigInt(prev));
  let lo = Number(register & MASK_32) >>> 0;
  let hi = Number(register >> 32n) >>> 0;
  const length = buf.length;
  const wholeWords = length - (length % 8);
  let i = 0;
  while (i < wholeWords) {
    const a = (lo ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24))) >>> 0;
    const b = (hi ^ (buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) | (buf[i + 7] << 24))) >>> 0;
    lo =
      L7[a & 0xff] ^ L6[(a >>> 8) & 0xff] ^ L5[(a >>> 16) & 0xff] ^ L4[a >>> 24] ^
      L3[b & 0xff] ^ L2[(b >>> 8) & 0xff] ^ L1[(b >>> 16) & 0xff] ^ L0[b >>> 24];
    hi =
      H7[a & 0xff] ^ H6[(a >>> 8) & 0xff] ^ H5[(a >>> 16) & 0xff] ^ H4[a >>> 24] ^
      H3[b & 0xff] ^ H2[(b >>> 8) & 0xff] ^ H1[(b >>> 16) & 0xff] ^ H0[b >>> 24];
    i += 8;
  }
  for (; i < length; i++) {
    const index = (lo ^ buf[i]) & 0xff;
    lo = L0[index] ^ ((lo >>> 8) | (hi << 24));
    hi = H0[index] ^ (hi >>> 8);
  }
  const value = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  return BigInt.asUintN(64, ~value).toString();
}

