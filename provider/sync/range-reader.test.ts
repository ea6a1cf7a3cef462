import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as sdkCrc from 'tos-crc64-js';
import { readHashedRange } from './range-reader';

describe('readHashedRange (an upload body hashed on its way)', () => {
  let dir: string;
  let file: string;
  const data = randomBytes(3 * 1024 * 1024 + 11); // several chunks, the last one short

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'range-reader-'));
    file = path.join(dir, 'data.bin');
    await fs.writeFile(file, data);
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  const drain = async (stream: NodeJS.ReadableStream, slow = false) => {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      if (slow) await new Promise((r) => setTimeout(r, 1));
    }
    return Buffer.concat(chunks);
  };

  test('streams exactly the range, under backpressure, and its CRC64 (tos-crc64-js agrees)', async () => {
    const range = readHashedRange(file, 5, data.length - 7);
    expect((await drain(range.stream, true)).equals(data.subarray(5, data.length - 7))).toBe(true);
    expect(await range.crc64).toBe(sdkCrc.crc64(data.subarray(5, data.length - 7), '0'));
  });

  test('an empty range is an empty stream with the CRC of nothing', async () => {
    const range = readHashedRange(file, 10, 10);
    expect((await drain(range.stream)).length).toBe(0);
    expect(await range.crc64).toBe('0');
  });

  test('a file that shrank fails the stream and the CRC, naming the offset', async () => {
    const range = readHashedRange(file, 0, data.length + 100);
    await expect(drain(range.stream)).rejects.toThrow(`expected 100 more bytes at offset ${data.length}`);
    await expect(range.crc64).rejects.toThrow(/shrank while being read/);
  });

  test('a destroyed stream rejects its CRC and closes the file', async () => {
    const range = readHashedRange(file, 0, data.length);
    range.stream.destroy(new Error('request cut'));
    await expect(range.crc64).rejects.toThrow(/request cut/);
    const cancelled = readHashedRange(file, 0, data.length);
    cancelled.stream.destroy();
    await expect(cancelled.crc64).rejects.toThrow(/was cancelled/);
  });

  test('a missing file fails the stream and the CRC', async () => {
    const range = readHashedRange(path.join(dir, 'absent'), 0, 10);
    await expect(drain(range.stream)).rejects.toThrow(/ENOENT/);
    await expect(range.crc64).rejects.toThrow(/ENOENT/);
  });
});
