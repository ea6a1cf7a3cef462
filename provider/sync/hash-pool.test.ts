import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as sdkCrc from 'tos-crc64-js';
import { crc64OfFile, SEGMENT_BYTES } from './fingerprint';
import { HashPool } from './hash-pool';

describe('hash pool (worker threads, WebAssembly CRC64)', () => {
  let dir: string;
  let file: string;
  let data: Buffer;
  const pool = new HashPool(2);

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hash-pool-'));
    file = path.join(dir, 'data.bin');
    data = randomBytes(SEGMENT_BYTES + 3 * 1024 * 1024 + 11); // two segments, the second not a whole MiB
    await fs.writeFile(file, data);
  });
  afterAll(async () => {
    await pool.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('a file hashed in segments on several threads has the CRC64 of its bytes (tos-crc64-js agrees)', async () => {
    expect(await crc64OfFile(file, data.length, pool)).toBe(sdkCrc.crc64(data, '0'));
    const empty = path.join(dir, 'empty');
    await fs.writeFile(empty, '');
    expect(await crc64OfFile(empty, 0, pool)).toBe('0');
  });

  test('hashRange gives the CRC64 and MD5 of exactly the range', async () => {
    const range = await pool.hashRange(file, 1000, 2_000_000, { md5: true });
    expect(range.crc64).toBe(sdkCrc.crc64(data.subarray(1000, 2_000_000), '0'));
    expect(range.md5).toBe(createHash('md5').update(data.subarray(1000, 2_000_000)).digest('hex'));
  });

  test('many more jobs than threads: each resolves with the digest of its own range', async () => {
    const ranges = Array.from({ length: 25 }, (_, i) => [i * 1000, i * 1000 + 5000 + i] as const);
    const digests = await Promise.all(ranges.map(([start, end]) => pool.hashRange(file, start, end)));
    expect(digests.map((d) => d.crc64)).toEqual(ranges.map(([start, end]) => sdkCrc.crc64(data.subarray(start, end), '0')));
  });

  test('a file that shrank is an error, and the thread goes on working', async () => {
    await expect(pool.hashRange(file, 0, data.length + 10)).rejects.toThrow(/found the end of the file/);
    expect((await pool.hashRange(file, 0, 10)).crc64).toBe(sdkCrc.crc64(data.subarray(0, 10), '0'));
  });
});
