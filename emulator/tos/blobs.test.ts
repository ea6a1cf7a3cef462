import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { crc64 } from '../../provider/api/crc64';
import { digestOf, diskBlobs, memoryBlobs, sliceSegments, ZERO_BLOB, type BlobBackend } from './blobs';

/** 3 MiB in socket-sized chunks: several writes of the disk backend's 1 MiB buffer. */
const CHUNKS = Array.from({ length: 48 }, () => randomBytes(64 * 1024));
const BODY = Buffer.concat(CHUNKS);

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** A body that sends half its chunks, then fails the way an aborted request does. */
function abortedBody(): Readable {
  async function* chunks() {
    yield* CHUNKS.slice(0, CHUNKS.length / 2);
    throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
  }
  return Readable.from(chunks());
}

describe.each([
  ['disk', (dir: string) => diskBlobs(dir)],
  ['memory', () => memoryBlobs()],
])('%s blobs', (_kind, make: (dir: string) => BlobBackend) => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'blobs-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('stores the body and reports its size, MD5 and CRC64', async () => {
    const blobs = make(dir);
    const blob = await blobs.ingest(Readable.from(CHUNKS));
    expect(blob.size).toBe(BODY.length);
    expect(blob.md5.equals(createHash('md5').update(BODY).digest())).toBe(true);
    expect(blob.crc64).toBe(crc64(BODY));
    expect((await readAll(blobs.open([{ blob: blob.blob, size: blob.size }], 0, blob.size))).equals(BODY)).toBe(true);
  });

  it('fails with the body error and keeps nothing of a body that broke off', async () => {
    const blobs = make(dir);
    await expect(blobs.ingest(abortedBody())).rejects.toThrow('aborted');
    const left = await fs.readdir(dir, { recursive: true }).catch(() => []);
    expect(left.filter((name) => !['blobs', 'tmp'].includes(String(name)))).toEqual([]);
  });

  it('reads segments at their offsets, and ZERO_BLOB as zeros that were never stored', async () => {
    const blobs = make(dir);
    const blob = await blobs.ingest(Readable.from(CHUNKS));
    const segments = [
      { blob: blob.blob, size: 1000, offset: 5000 },
      { blob: ZERO_BLOB, size: 3 * 1024 * 1024 + 7 },
      { blob: blob.blob, size: 10 },
    ];
    const expected = Buffer.concat([BODY.subarray(5000, 6000), Buffer.alloc(3 * 1024 * 1024 + 7), BODY.subarray(0, 10)]);
    const total = expected.length;
    expect((await readAll(blobs.open(segments, 0, total))).equals(expected)).toBe(true);
    expect((await readAll(blobs.open(segments, 990, total - 5))).equals(expected.subarray(990, total - 5))).toBe(true);
    expect((await digestOf(blobs.open(segments, 0, total))).crc64).toBe(crc64(expected));
  });
});

describe('sliceSegments', () => {
  const segments = [{ blob: 'a', size: 10 }, { blob: 'b', size: 0 }, { blob: 'c', size: 20, offset: 100 }];

  it('cuts the segments covering a range, offsets into each blob included', () => {
    expect(sliceSegments(segments, 5, 25)).toEqual([{ blob: 'a', size: 5, offset: 5 }, { blob: 'c', size: 15, offset: 100 }]);
    expect(sliceSegments(segments, 12, 14)).toEqual([{ blob: 'c', size: 2, offset: 102 }]);
    expect(sliceSegments(segments, 0, 30)).toEqual([{ blob: 'a', size: 10, offset: 0 }, { blob: 'c', size: 20, offset: 100 }]);
    expect(sliceSegments(segments, 10, 10)).toEqual([]);
  });
});
