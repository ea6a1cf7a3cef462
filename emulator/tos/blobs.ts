import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Crc64 } from '../../provider/api/crc64';

/**
 * Where object and part bytes live: Buffers in memory mode, files in a data directory in persistent mode. A
 * blob is immutable once ingested; objects reference one or more blobs (a completed multipart object keeps its
 * part blobs as segments instead of copying them into one file, so completing a multi-GB upload costs nothing).
 */
export interface BlobDigest {
  size: number;
  md5: Buffer;
  crc64: string;
}

export interface IngestedBlob extends BlobDigest {
  blob: string;
}

/** `size` bytes of `blob` starting at `offset` (default 0). */
export interface Segment {
  blob: string;
  size: number;
  offset?: number;
}

/**
 * A blob id that is never stored: it reads as zeros at any offset. Seeded objects (a real header followed by
 * gigabytes of zeros, for big-model tests) reference it instead of ingesting their zeros. Both backends serve it.
 */
export const ZERO_BLOB = 'zeros';

/** Shared, never written to: the zero bytes a ZERO_BLOB read yields. */
const ZEROS = Buffer.alloc(1024 * 1024);

function* zeroRun(length: number): Generator<Buffer> {
  for (let left = length; left > 0; left -= ZEROS.length) yield ZEROS.subarray(0, Math.min(left, ZEROS.length));
}

/** The segments covering bytes [start, end) of the concatenation of `segments`: what a ranged copy references. */
export function sliceSegments(segments: readonly Segment[], start: number, end: number): Segment[] {
  const out: Segment[] = [];
  let offset = 0;
  for (const segment of segments) {
    const segStart = offset;
    const segEnd = offset + segment.size;
    offset = segEnd;
    if (segEnd <= start || segment.size === 0) continue;
    if (segStart >= end) break;
    const from = Math.max(start, segStart) - segStart;
    const to = Math.min(end, segEnd) - segStart;
    out.push({ blob: segment.blob, size: to - from, offset: (segment.offset ?? 0) + from });
  }
  return out;
}

export interface BlobBackend {
  /** Streams `body` into a new blob while hashing it; nothing is buffered whole in persistent mode. */
  ingest(body: Readable): Promise<IngestedBlob>;
  /** Bytes [start, end) of the concatenation of `segments`. */
  open(segments: readonly Segment[], start: number, end: number): Readable;
  remove(blob: string): Promise<void>;
  /** Drops every blob not in `live` (orphans of a crash between ingest and commit) and every temp file. */
  retainOnly(live: ReadonlySet<string>): Promise<void>;
}

/** Hashes MD5 and CRC64-ECMA of the bytes flowing through, passing them on unchanged. */
class DigestStream extends Transform {
  private readonly md5 = createHash('md5');
  private readonly crc = new Crc64();
  private size = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.md5.update(chunk);
    this.crc.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }

  digest(): BlobDigest {
    return { size: this.size, md5: this.md5.digest(), crc64: this.crc.value() };
  }
}

/**
 * Yields the bytes [start, end) of the concatenated segments, reading each stored piece with `readPiece`
 * (blob-relative [from, to)); ZERO_BLOB pieces are generated.
 */
async function* segmentRange(
  segments: readonly Segment[],
  start: number,
  end: number,
  readPiece: (blob: string, from: number, to: number) => AsyncIterable<Buffer>,
): AsyncGenerator<Buffer> {
  for (const piece of sliceSegments(segments, start, end)) {
    const from = piece.offset ?? 0;
    if (piece.blob === ZERO_BLOB) yield* zeroRun(piece.size);
    else yield* readPiece(piece.blob, from, from + piece.size);
  }
}

/** MD5, CRC64 and size of everything `body` yields. */
export async function digestOf(body: Readable): Promise<BlobDigest> {
  const digest = new DigestStream();
  await pipeline(body, digest, async (source: AsyncIterable<Buffer>) => {
    for await (const _chunk of source);
  });
  return digest.digest();
}

export function memoryBlobs(): BlobBackend {
  const blobs = new Map<string, Buffer>();
  return {
    async ingest(body) {
      const digest = new DigestStream();
      const chunks: Buffer[] = [];
      await pipeline(body, digest, async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) chunks.push(chunk);
      });
      const blob = randomUUID();
      blobs.set(blob, Buffer.concat(chunks));
      return { blob, ...digest.digest() };
    },
    open(segments, start, end) {
      return Readable.from(
        segmentRange(segments, start, end, async function* (blob, from, to) {
          const data = blobs.get(blob);
          if (!data) throw new Error(`blob ${blob} is referenced by an object but missing from the memory store`);
          yield data.subarray(from, to);
        }),
      );
    },
    async remove(blob) {
      blobs.delete(blob);
    },
    async retainOnly(live) {
      for (const blob of [...blobs.keys()]) if (!live.has(blob)) blobs.delete(blob);
    },
  };
}

/** Read buffer for object GETs; the default 64 KiB makes multi-GB reads needlessly chatty. */
const READ_CHUNK_BYTES = 1024 * 1024;
/**
 * Write buffer for ingested bodies. With the default 16 KiB every 64 KiB socket chunk became its own write
 * call, which cost ark-local more CPU than MD5; a larger buffer lets the chunks that arrive while a write is in
 * flight go out as one writev.
 */
const WRITE_BUFFER_BYTES = 1024 * 1024;

/**
 * Files under `<dir>/blobs/`. Bodies are written to `<dir>/tmp/` and renamed into place only once complete, so a
 * partial upload never looks like a blob.
 */
export function diskBlobs(dir: string): BlobBackend {
  const blobDir = path.join(dir, 'blobs');
  const tmpDir = path.join(dir, 'tmp');
  const ready = Promise.all([fs.mkdir(blobDir, { recursive: true }), fs.mkdir(tmpDir, { recursive: true })]);
  const blobPath = (blob: string): string => {
    if (!/^[0-9a-f-]{36}$/.test(blob)) throw new Error(`blob id ${JSON.stringify(blob)} is not a UUID; refusing to build a path from it`);
    return path.join(blobDir, blob);
  };
  return {
    async ingest(body) {
      await ready;
      const blob = randomUUID();
      const tmp = path.join(tmpDir, blob);
      const digest = new DigestStream();
      try {
        await pipeline(body, digest, createWriteStream(tmp, { highWaterMark: WRITE_BUFFER_BYTES }));
        await fs.rename(tmp, blobPath(blob));
      } catch (err) {
        await fs.rm(tmp, { force: true });
        throw err;
      }
      return { blob, ...digest.digest() };
    },
    open(segments, start, end) {
      return Readable.from(
        segmentRange(segments, start, end, (blob, from, to) =>
          createReadStream(blobPath(blob), { start: from, end: to - 1, highWaterMark: READ_CHUNK_BYTES }),
        ),
      );
    },
    async remove(blob) {
      await fs.rm(blobPath(blob), { force: true });
    },
    async retainOnly(live) {
      await ready;
      for (const name of await fs.readdir(blobDir)) if (!live.has(name)) await fs.rm(path.join(blobDir, name), { force: true });
      for (const name of await fs.readdir(tmpDir)) await fs.rm(path.join(tmpDir, name), { force: true });
    },
  };
}
