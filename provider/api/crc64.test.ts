import { randomBytes } from 'node:crypto';
import * as sdkCrc from 'tos-crc64-js';
import { combineCrc64, combineCrc64List, Crc64, crc64, crc64OfZeros } from './crc64';
import { INPUT_BYTES } from './crc64-wasm';

describe('crc64 (CRC-64/XZ as TOS sends it)', () => {
  it.each([
    ['123456789', '11051210869376104954'],
    ['', '0'],
    ['hello tos', '16138994716692134961'],
  ])('crc64(%j) = %s (reference check values)', (text, expected) => {
    expect(crc64(Buffer.from(text))).toBe(expected);
  });

  it('continues from a previous value as if the buffers were concatenated', () => {
    expect(crc64(Buffer.from('456789'), crc64(Buffer.from('123')))).toBe('11051210869376104954');
  });

  it('gives the same value however the input is split', () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
    const split = 1024 * 1024 + 5;
    expect(crc64(big)).toBe(crc64(big.subarray(split), crc64(big.subarray(0, split))));
  });

  it.each([0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 4095, 65537, INPUT_BYTES - 1, INPUT_BYTES + 23])(
    'agrees bit for bit with tos-crc64-js (the SDK implementation) on %i random bytes from a random start',
    (length) => {
      const data = randomBytes(length);
      const prev = BigInt.asUintN(64, BigInt('0x' + randomBytes(8).toString('hex'))).toString();
      expect(crc64(data)).toBe(sdkCrc.crc64(data, '0'));
      expect(crc64(data, prev)).toBe(sdkCrc.crc64(data, prev));
    },
  );

  it('hashes incrementally across chunks of any size, including chunks larger than the WebAssembly input area', () => {
    const data = randomBytes(2 * INPUT_BYTES + 1001);
    const c = new Crc64();
    for (const cut of [[0, 3], [3, 100], [100, INPUT_BYTES + 5], [INPUT_BYTES + 5, data.length]]) c.update(data.subarray(cut[0], cut[1]));
    expect(c.value()).toBe(sdkCrc.crc64(data, '0'));
    expect(new Crc64(crc64(data.subarray(0, 10))).update(data.subarray(10)).value()).toBe(c.value());
  });

  it('combines two blocks into the CRC of their concatenation', () => {
    const a = Buffer.from('hello ');
    const b = Buffer.from('tos');
    expect(combineCrc64(crc64(a), crc64(b), b.length)).toBe('16138994716692134961');
  });

  it('treats an empty second block and an empty first block as identity', () => {
    const c = crc64(Buffer.from('abc'));
    expect(combineCrc64(c, '0', 0)).toBe(c);
    expect(combineCrc64('0', c, 3)).toBe(c);
  });

  it('combines a list of parts in order', () => {
    const parts = ['part one,', ' part two,', '', ' part three'].map((s) => Buffer.from(s));
    const combined = combineCrc64List(parts.map((p) => ({ crc64: crc64(p), size: p.length })));
    expect(combined).toBe(crc64(Buffer.concat(parts)));
    expect(combineCrc64List([])).toBe('0');
  });

  it.each([1, 5, 1000, 65537])('agrees with tos-crc64-js combine on random blocks of %i bytes', (length) => {
    const a = randomBytes(37);
    const b = randomBytes(length);
    expect(combineCrc64(crc64(a), crc64(b), length)).toBe(sdkCrc.combineCrc64(crc64(a), crc64(b), length));
    expect(combineCrc64(crc64(a), crc64(b), length)).toBe(crc64(Buffer.concat([a, b])));
  });

  it.each([0, 1, 2, 15, 16, 17, 1000, 3 * 1024 * 1024 + 1])('crc64OfZeros(%i) equals the CRC of that many zero bytes', (length) => {
    expect(crc64OfZeros(length)).toBe(crc64(Buffer.alloc(length)));
  });

  it('composes zero runs past 4 GiB consistently (tos-crc64-js truncates the length to 32 bits there)', () => {
    const GiB = 1024 ** 3;
    // zeros(5 GiB) = zeros(4 GiB) then zeros(1 GiB), and zeros(4 GiB + 1) is not zeros(1) as a 32-bit length would make it.
    expect(combineCrc64(crc64OfZeros(4 * GiB), crc64OfZeros(GiB), GiB)).toBe(crc64OfZeros(5 * GiB));
    expect(crc64OfZeros(4 * GiB + 1)).not.toBe(crc64OfZeros(1));
    expect(combineCrc64(crc64OfZeros(1), crc64OfZeros(4 * GiB), 4 * GiB)).toBe(crc64OfZeros(4 * GiB + 1));
    const head = Buffer.from('header bytes');
    expect(combineCrc64(crc64(head), crc64OfZeros(16 * GiB), 16 * GiB)).toBe(crc64OfZeros(16 * GiB, crc64(head)));
  });

  it('takes milliseconds for a 16 GiB zero run', () => {
    const started = performance.now();
    crc64OfZeros(16 * 1024 ** 3);
    expect(performance.now() - started).toBeLessThan(200);
  });
});
