import type { BodySource, OpenUpload, TosStorage, UploadedPart } from '../clients/tos/client';
import { combineCrc64List } from '../api/crc64';
import { tosUri } from '../api/tos';
import type { HashPool } from './hash-pool';
import { mapPool } from './pool';
import { readHashedRange, type HashedRange } from './range-reader';

/**
 * Uploads of one file, fingerprinted on the way: the bytes are read once and CRC64'd as they go to the request,
 * and the CRC is checked against the one TOS reports for what it received. Multipart uploads are tracked in TOS
 * itself, so any runner can resume or clean them up:
 *
 * - An upload is started with the object's owner metadata, and everything open under a managed prefix is the
 *   resource's own (create refuses a prefix with foreign objects unless adoptExisting).
 * - A later sync lists the open uploads of the key; one whose parts fit the file's part layout is resumed:
 *   each listed part is read and hashed locally (MD5 against the part's ETag, and CRC64 where the listing
 *   gives one) and re-sent only if it differs. Every other open upload under the prefix is aborted.
 * - Nothing is kept on the local disk, so an upload begun on a CI runner that was then cancelled is found and
 *   resumed (or aborted) by the next run on a fresh one.
 */

export interface UploadContext {
  storage: TosStorage;
  pool: HashPool;
  bucket: string;
  /** Stops new requests; the bodies in flight are destroyed so their requests fail at once. */
  signal?: AbortSignal;
}

export interface FileUpload {
  key: string;
  /** Absolute path of the local file. */
  file: string;
  size: number;
  meta: Record<string, string>;
  /** Every byte handed to a request, retries included (the caller caps per file). */
  onBytes(n: number): void;
}

export interface UploadOutcome {
  /** CRC64 of the bytes read and sent; equal to the object's CRC as TOS reports it. */
  crc64: string;
  /** Parts sent by this call (0 for a single PUT). */
  partsSent: number;
  /** Parts found already uploaded with the same bytes and not sent again. */
  partsReused: number;
  /** Open uploads of the key aborted because another fitted better or none fitted. */
  abortedUploads: number;
}

export interface MultipartUpload extends FileUpload {
  partSize: number;
  /** Parts in flight at once. */
  taskNum: number;
  /** Open uploads of this key found by the listing (oldest first); the best is resumed, the rest aborted. */
  open: readonly OpenUpload[];
}

export class UploadIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UploadIntegrityError';
  }
}

/** One PUT of the whole file. */
export async function putWhole(ctx: UploadContext, up: FileUpload): Promise<UploadOutcome> {
  const body = HashedBody.ofFile(up.file, 0, up.size, ctx.signal);
  try {
    const result = await ctx.storage.putObject(ctx.bucket, up.key, body, up.meta, up.onBytes);
    const crc64 = await body.crc64();
    await assertObjectCrc(ctx, up.key, crc64, result.crc64);
    return { crc64, partsSent: 0, partsReused: 0, abortedUploads: 0 };
  } finally {
    body.dispose();
  }
}

export interface PartSpec {
  partNumber: number;
  start: number;
  end: number;
}

/** The part layout of a file: `partSize` pieces, the last one shorter. */
export function partLayout(size: number, partSize: number): PartSpec[] {
  const parts: PartSpec[] = [];
  for (let start = 0, n = 1; start < size; start += partSize, n++) parts.push({ partNumber: n, start, end: Math.min(size, start + partSize) });
  return parts;
}

/** Whether the parts already uploaded could belong to this layout (numbers in range, sizes as laid out). */
export function fitsLayout(uploaded: readonly UploadedPart[], layout: readonly PartSpec[]): boolean {
  return uploaded.every((p) => p.partNumber >= 1 && p.partNumber <= layout.length && p.size === layout[p.partNumber - 1]!.end - layout[p.partNumber - 1]!.start);
}

/** Parallel multipart upload, resuming a fitting open upload of the key and aborting the others. */
export async function putMultipart(ctx: UploadContext, up: MultipartUpload): Promise<UploadOutcome> {
  const layout = partLayout(up.size, up.partSize);
  const { uploadId, uploaded, aborted } = await adoptOrStart(ctx, up, layout);
  try {
    return { ...(await sendParts(ctx, up, layout, uploadId, uploaded)), abortedUploads: aborted };
  } catch (error) {
    // Aborted underneath us (another run's cleanup, expiry): start once more from nothing.
    if (!isNoSuchUpload(error)) throw error;
    const fresh = await ctx.storage.createMultipartUpload(ctx.bucket, up.key, up.meta);
    return { ...(await sendParts(ctx, up, layout, fresh, new Map())), abortedUploads: aborted };
  }
}

async function adoptOrStart(ctx: UploadContext, up: MultipartUpload, layout: PartSpec[]): Promise<{ uploadId: string; uploaded: Map<number, UploadedPart>; aborted: number }> {
  let chosen: { uploadId: string; uploaded: Map<number, UploadedPart> } | undefined;
  let aborted = 0;
  // Newest first: the most recent attempt has the most parts.
  for (const open of [...up.open].reverse()) {
    const parts = chosen ? undefined : await listPartsOrNone(ctx, up.key, open.uploadId);
    if (!chosen && parts && fitsLayout(parts, layout)) {
      chosen = { uploadId: open.uploadId, uploaded: new Map(parts.map((p) => [p.partNumber, p])) };
    } else {
      await ctx.storage.abortMultipartUpload(ctx.bucket, up.key, open.uploadId);
      aborted += 1;
    }
  }
  return { ...(chosen ?? { uploadId: await ctx.storage.createMultipartUpload(ctx.bucket, up.key, up.meta), uploaded: new Map() }), aborted };
}

async function listPartsOrNone(ctx: UploadContext, key: string, uploadId: string): Promise<UploadedPart[] | undefined> {
  try {
    return await ctx.storage.listParts(ctx.bucket, key, uploadId);
  } catch (error) {
    if (isNoSuchUpload(error)) return undefined;
    throw error;
  }
}

async function sendParts(
  ctx: UploadContext,
  up: MultipartUpload,
  layout: PartSpec[],
  uploadId: string,
  uploaded: Map<number, UploadedPart>,
): Promise<Omit<UploadOutcome, 'abortedUploads'>> {
  let partsSent = 0;
  let partsReused = 0;
  const location = tosUri(ctx.bucket, up.key);
  const done = await mapPool(layout, up.taskNum, async (part) => {
    ctx.signal?.throwIfAborted();
    const size = part.end - part.start;
    const existing = uploaded.get(part.partNumber);
    if (existing) {
      const local = await ctx.pool.hashRange(up.file, part.start, part.end, { md5: true });
      if (local.md5 === existing.etag && (existing.crc64 === undefined || existing.crc64 === local.crc64)) {
        partsReused += 1;
        up.onBytes(size);
        return { partNumber: part.partNumber, etag: existing.etag, crc64: local.crc64, size };
      }
    }
    const body = HashedBody.ofFile(up.file, part.start, part.end, ctx.signal);
    try {
      const sent = await ctx.storage.uploadPart(ctx.bucket, up.key, uploadId, part.partNumber, body, up.onBytes);
      const crc64 = await body.crc64();
      assertSameCrc(`${location} part ${part.partNumber}`, crc64, sent.crc64);
      partsSent += 1;
      return { partNumber: part.partNumber, etag: sent.etag, crc64, size };
    } finally {
      body.dispose();
    }
  });
  ctx.signal?.throwIfAborted();
  const result = await ctx.storage.completeMultipartUpload(ctx.bucket, up.key, uploadId, done);
  const crc64 = combineCrc64List(done);
  await assertObjectCrc(ctx, up.key, crc64, result.crc64);
  return { crc64, partsSent, partsReused };
}

/**
 * A request body hashed on its way (`range-reader.ts`), opened afresh for each attempt by `openRange` (a file
 * range read, a hub download). The CRC is of the last attempt's bytes, which are the ones TOS kept. An aborted
 * `signal` cuts the body in flight.
 */
export class HashedBody implements BodySource {
  private current: HashedRange | undefined;
  private readonly onAbort = () => this.current?.stream.destroy(this.signal?.reason as Error);

  constructor(
    /** What the bytes are, for messages (a file path, an hf:// URI). */
    private readonly what: string,
    readonly size: number,
    private readonly openRange: () => HashedRange,
    private readonly signal: AbortSignal | undefined,
  ) {
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The bytes [start, end) of a local file. */
  static ofFile(file: string, start: number, end: number, signal: AbortSignal | undefined): HashedBody {
    return new HashedBody(file, end - start, () => readHashedRange(file, start, end), signal);
  }

  open() {
    this.signal?.throwIfAborted();
    this.current?.stream.destroy();
    this.current = this.openRange();
    return this.current.stream;
  }

  async crc64(): Promise<string> {
    if (!this.current) throw new Error(`${this.what}: no bytes were read for the upload`);
    return this.current.crc64;
  }

  dispose(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    if (this.current && !this.current.stream.readableEnded) this.current.stream.destroy();
  }
}

/** The finished object must carry the CRC of what was read; a response without one is checked with a HEAD. */
async function assertObjectCrc(ctx: UploadContext, key: string, local: string, reported: string | undefined): Promise<void> {
  const remote = reported ?? (await ctx.storage.head(ctx.bucket, key))?.crc64;
  if (remote !== local) {
    throw new UploadIntegrityError(`${tosUri(ctx.bucket, key)}: expected the uploaded object's CRC64 to equal that of the bytes read from the local file, ${local}, found ${remote ?? 'none'}`);
  }
}

/** A part's CRC, when TOS reports one, must be that of the bytes sent. */
export function assertSameCrc(what: string, local: string, remote: string | undefined): void {
  if (remote !== undefined && remote !== local) {
    throw new UploadIntegrityError(`${what}: expected TOS to report the CRC64 of the bytes sent, ${local}, found ${remote}`);
  }
}

function isNoSuchUpload(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'NoSuchUpload';
}

/** Aborts `uploads` (best effort per upload is not enough: a failure is thrown after trying every one). */
export async function abortUploads(storage: TosStorage, bucket: string, uploads: readonly OpenUpload[]): Promise<void> {
  const failures: unknown[] = [];
  await mapPool(uploads, 8, async (u) => {
    try {
      await storage.abortMultipartUpload(bucket, u.key, u.uploadId);
    } catch (error) {
      failures.push(error);
    }
  });
  if (failures.length > 0) throw failures[0];
}
