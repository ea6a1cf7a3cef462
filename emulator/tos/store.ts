import { createHash, randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { combineCrc64List, crc64OfZeros } from '../../provider/api/crc64';
import { MIN_PART_BYTES } from '../../provider/api/tos';
import { BlobRefs } from './blob-refs';
import { digestOf, diskBlobs, memoryBlobs, sliceSegments, ZERO_BLOB, type BlobBackend, type IngestedBlob, type Segment } from './blobs';
import { TosError } from './errors';
import { listPage, type ListPage, type ListPageRequest } from './listing';
import { diskPersistence, memoryPersistence, type StatePersistence } from './persistence';
import {
  partSegments,
  type BucketRecord,
  type DeclaredDigests,
  type ObjectAttributes,
  type ObjectRecord,
  type PartRecord,
  type UploadRecord,
} from './records';

/**
 * The behaviour layer of the TOS emulator: buckets, objects and multipart uploads with TOS's rules, raising
 * `TosError`s. Bytes go to a BlobBackend, records to a StatePersistence; in memory mode both are in-process.
 * The first five methods are the cross-team interface (admin summary, the Ark import's model validator).
 */
export interface ObjectStore {
  reset(): Promise<void>;
  summary(): Promise<{ buckets: { name: string; objects: number; bytes: number }[] }>;
  listObjects(bucket: string, prefix: string): Promise<{ key: string; size: number }[]>;
  /** Exactly `length` bytes from `start`, or fewer if the object ends first. */
  readRange(bucket: string, key: string, start: number, length: number): Promise<Buffer>;
  bucketExists(bucket: string): Promise<boolean>;

  /** `account`: the owner when it is another account than ark-local's own (admin route only). */
  createBucket(name: string, region: string, account?: string): Promise<BucketRecord>;
  getBucket(name: string): Promise<BucketRecord>;
  findBucket(name: string): Promise<BucketRecord | undefined>;
  deleteBucket(name: string): Promise<void>;
  listBuckets(): Promise<BucketRecord[]>;

  putObject(bucket: string, key: string, body: Readable, attributes: ObjectAttributes, declared: DeclaredDigests): Promise<ObjectRecord>;
  getObject(bucket: string, key: string): Promise<ObjectRecord>;
  /** Bytes [start, end) of an object record obtained from getObject. */
  openObject(object: ObjectRecord, start: number, end: number): Readable;
  /** Deleting a missing key succeeds (S3 semantics). */
  deleteObject(bucket: string, key: string): Promise<void>;
  listObjectsPage(bucket: string, request: ListPageRequest): Promise<ListPage<ObjectRecord>>;
  /**
   * Server-side copy referencing the source's blobs (no bytes move). `plan` sees the source object before
   * anything changes (conditions, limits) and returns the new object's attributes.
   */
  copyObject(source: ObjectRef, target: ObjectRef, plan: (source: ObjectRecord) => ObjectAttributes): Promise<ObjectRecord>;
  /**
   * An object of `size` bytes: `head`, then zeros that are never stored. Its ETag is a stand-in (see
   * docs/api-assumptions.md, seeded objects): MD5 would mean hashing every zero.
   */
  seedObject(bucket: string, key: string, size: number, head: Buffer, attributes: ObjectAttributes): Promise<ObjectRecord>;

  createUpload(bucket: string, key: string, attributes: ObjectAttributes): Promise<UploadRecord>;
  uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Readable, declared: DeclaredDigests): Promise<PartRecord>;
  /**
   * A part that references bytes [start, end) of `source` (as `plan` returns them after checking the source).
   * The range is read once for the part's MD5 (its ETag) and CRC64; nothing is written.
   */
  uploadPartCopy(source: ObjectRef, target: PartRef, plan: (source: ObjectRecord) => [number, number]): Promise<PartRecord>;
  /**
   * `parts` as the client listed them (any order, ETags with or without quotes), or 'all' uploaded parts. A
   * retried Complete of an upload that already completed returns the object it made.
   */
  completeUpload(bucket: string, key: string, uploadId: string, parts: { PartNumber: number; ETag: string }[] | 'all'): Promise<ObjectRecord>;
  abortUpload(bucket: string, key: string, uploadId: string): Promise<void>;
  /** The object a finished upload made, while it is still the current version of its key. */
  completedUpload(bucket: string, key: string, uploadId: string): Promise<ObjectRecord | undefined>;
  /** The upload and its parts sorted by part number. */
  getUpload(bucket: string, key: string, uploadId: string): Promise<{ upload: UploadRecord; parts: PartRecord[] }>;
  /** Uploads of a bucket sorted by key, then initiation time. */
  listUploads(bucket: string): Promise<UploadRecord[]>;
}

export interface ObjectRef {
  bucket: string;
  key: string;
}

export interface PartRef extends ObjectRef {
  uploadId: string;
  partNumber: number;
}

export interface ObjectStoreOptions {
  /** Files under `<dataDir>/tos/` (`blobs/`, `tmp/`, `state/`), beside other ark-local state; in memory when absent. */
  dataDir?: string;
}

/** The store's own subdirectory of an ark-local data directory. */
export const TOS_DATA_SUBDIR = 'tos';

export function createObjectStore(opts: ObjectStoreOptions = {}): ObjectStore {
  if (!opts.dataDir) return new TosObjectStore(memoryBlobs(), memoryPersistence());
  const dir = path.join(opts.dataDir, TOS_DATA_SUBDIR);
  return new TosObjectStore(diskBlobs(dir), diskPersistence(dir));
}

interface BucketState {
  record: BucketRecord;
  objects: Map<string, ObjectRecord>;
  /** Objects sorted by key for listings; rebuilt lazily after a change. */
  sorted?: { key: string; item: ObjectRecord }[];
}

interface UploadState {
  record: UploadRecord;
  parts: Map<number, PartRecord>;
}

class TosObjectStore implements ObjectStore {
  private buckets = new Map<string, BucketState>();
  private uploads = new Map<string, UploadState>();
  private readonly refs = new BlobRefs();
  private readonly ready: Promise<void>;

  constructor(
    private readonly blobs: BlobBackend,
    private readonly persistence: StatePersistence,
  ) {
    this.ready = this.load();
    // A failed load is reported to every request that awaits `ready`; until one does, it must not count as an
    // unhandled rejection (which would end the process).
    this.ready.catch(() => undefined);
  }

  private async load(): Promise<void> {
    const state = await this.persistence.load();
    for (const record of state.buckets) this.buckets.set(record.name, { record, objects: new Map() });
    for (const object of state.objects) {
      const bucket = this.buckets.get(object.bucket);
      if (!bucket) continue;
      bucket.objects.set(object.key, object);
      this.refs.retain(object.segments);
    }
    for (const { upload, parts } of state.uploads) {
      if (!this.buckets.has(upload.bucket)) continue;
      const restored = { record: upload, parts: new Map(parts.map((p) => [p.partNumber, p])) };
      for (const part of parts) this.refs.retain(partSegments(part));
      if (this.completedObject(upload.bucket, upload.key, upload.uploadId)) {
        // Killed between writing the object and removing the upload: the Complete had succeeded; finish it.
        await this.discardUpload(restored);
        continue;
      }
      this.uploads.set(upload.uploadId, restored);
    }
    await this.blobs.retainOnly(this.refs.live());
  }

  // ------------------------------------------------------------------------------------ cross-team interface

  async reset(): Promise<void> {
    await this.ready;
    this.buckets.clear();
    this.uploads.clear();
    this.refs.clear();
    await this.persistence.clear();
    await this.blobs.retainOnly(new Set());
  }

  async summary() {
    await this.ready;
    return {
      buckets: [...this.buckets.values()]
        .map((b) => ({ name: b.record.name, objects: b.objects.size, bytes: [...b.objects.values()].reduce((n, o) => n + o.size, 0) }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
    };
  }

  async listObjects(bucket: string, prefix: string) {
    const state = await this.bucket(bucket);
    return sortedObjects(state)
      .filter((e) => e.key.startsWith(prefix))
      .map((e) => ({ key: e.key, size: e.item.size }));
  }

  async readRange(bucket: string, key: string, start: number, length: number): Promise<Buffer> {
    const object = await this.getObject(bucket, key);
    const from = Math.min(Math.max(0, start), object.size);
    const to = Math.min(object.size, from + Math.max(0, length));
    const chunks: Buffer[] = [];
    for await (const chunk of this.openObject(object, from, to)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async bucketExists(bucket: string): Promise<boolean> {
    await this.ready;
    return this.buckets.has(bucket);
  }

  // ------------------------------------------------------------------------------------------------ buckets

  async createBucket(name: string, region: string, account?: string): Promise<BucketRecord> {
    await this.ready;
    const existing = this.buckets.get(name)?.record;
    if (existing) {
      // Bucket names are global: one another account holds is taken, not ours (S3's split of the two codes).
      if (existing.account !== account) throw new TosError('BucketAlreadyExists', `Bucket "${name}" is owned by another account.`, `/${name}`);
      throw new TosError('BucketAlreadyOwnedByYou', `Bucket "${name}" already exists.`, `/${name}`);
    }
    const record: BucketRecord = { name, createdAt: new Date().toISOString(), region, ...(account !== undefined ? { account } : {}) };
    this.buckets.set(name, { record, objects: new Map() });
    await this.persistence.saveBucket(record);
    return record;
  }

  async getBucket(name: string): Promise<BucketRecord> {
    return (await this.bucket(name)).record;
  }

  async findBucket(name: string): Promise<BucketRecord | undefined> {
    await this.ready;
    return this.buckets.get(name)?.record;
  }

  async deleteBucket(name: string): Promise<void> {
    const state = await this.bucket(name);
    if (state.objects.size > 0) {
      throw new TosError('BucketNotEmpty', `Bucket "${name}" still holds ${state.objects.size} object(s); expected none.`, `/${name}`);
    }
    const abandoned = [...this.uploads.values()].filter((u) => u.record.bucket === name);
    this.buckets.delete(name);
    for (const upload of abandoned) this.uploads.delete(upload.record.uploadId);
    await this.persistence.removeBucket(name);
    for (const upload of abandoned) await this.discardUpload(upload);
  }

  async listBuckets(): Promise<BucketRecord[]> {
    await this.ready;
    return [...this.buckets.values()].map((b) => b.record).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  // ------------------------------------------------------------------------------------------------ objects

  async putObject(bucket: string, key: string, body: Readable, attributes: ObjectAttributes, declared: DeclaredDigests): Promise<ObjectRecord> {
    await this.bucket(bucket);
    const ingested = await this.ingestChecked(body, declared, `/${bucket}/${key}`);
    const object: ObjectRecord = {
      bucket,
      key,
      size: ingested.size,
      etag: `"${ingested.md5.toString('hex')}"`,
      crc64: ingested.crc64,
      lastModified: new Date().toISOString(),
      httpHeaders: attributes.httpHeaders,
      meta: attributes.meta,
      segments: [{ blob: ingested.blob, size: ingested.size }],
    };
    await this.commitObject(object, [ingested.blob]);
    return object;
  }

  async copyObject(source: ObjectRef, target: ObjectRef, plan: (source: ObjectRecord) => ObjectAttributes): Promise<ObjectRecord> {
    await this.bucket(target.bucket);
    const src = await this.getObject(source.bucket, source.key);
    // From here to commitObject's retain nothing awaits, so the source cannot be deleted under the copy.
    const attributes = plan(src);
    const object: ObjectRecord = {
      bucket: target.bucket,
      key: target.key,
      size: src.size,
      // Same bytes, same digests: the source's ETag and CRC64 are the copy's, and no byte is read.
      etag: src.etag,
      crc64: src.crc64,
      lastModified: new Date().toISOString(),
      httpHeaders: attributes.httpHeaders,
      meta: attributes.meta,
      segments: src.segments.map((segment) => ({ ...segment })),
    };
    await this.commitObject(object, []);
    return object;
  }

  async seedObject(bucket: string, key: string, size: number, head: Buffer, attributes: ObjectAttributes): Promise<ObjectRecord> {
    await this.bucket(bucket);
    if (head.length > size) {
      throw new TosError('InvalidArgument', `The seeded head is ${head.length} bytes, longer than the object size ${size}.`, `/${bucket}/${key}`);
    }
    const ingested = await this.blobs.ingest(Readable.from([head]));
    const zeros = size - head.length;
    const segments: Segment[] = [{ blob: ingested.blob, size: head.length }, ...(zeros > 0 ? [{ blob: ZERO_BLOB, size: zeros }] : [])];
    const standIn = createHash('md5').update(head).update(`:${size}`).digest('hex');
    const object: ObjectRecord = {
      bucket,
      key,
      size,
      etag: `"${standIn}-1"`,
      crc64: crc64OfZeros(zeros, ingested.crc64),
      lastModified: new Date().toISOString(),
      httpHeaders: attributes.httpHeaders,
      meta: attributes.meta,
      segments,
    };
    await this.commitObject(object, [ingested.blob]);
    return object;
  }

  async getObject(bucket: string, key: string): Promise<ObjectRecord> {
    const object = (await this.bucket(bucket)).objects.get(key);
    if (!object) throw new TosError('NoSuchKey', `Bucket "${bucket}" has no object with key ${JSON.stringify(key)}.`, `/${bucket}/${key}`);
    return object;
  }

  openObject(object: ObjectRecord, start: number, end: number): Readable {
    return this.blobs.open(object.segments, start, end);
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    const state = await this.bucket(bucket);
    const previous = state.objects.get(key);
    if (!previous) return;
    state.objects.delete(key);
    state.sorted = undefined;
    await this.persistence.removeObject(bucket, key);
    await this.free(this.refs.release(previous.segments));
  }

  async listObjectsPage(bucket: string, request: ListPageRequest): Promise<ListPage<ObjectRecord>> {
    return listPage(sortedObjects(await this.bucket(bucket)), request);
  }

  // ---------------------------------------------------------------------------------------------- multipart

  async createUpload(bucket: string, key: string, attributes: ObjectAttributes): Promise<UploadRecord> {
    await this.bucket(bucket);
    const record: UploadRecord = {
      uploadId: randomBytes(16).toString('hex'),
      bucket,
      key,
      initiated: new Date().toISOString(),
      httpHeaders: attributes.httpHeaders,
      meta: attributes.meta,
    };
    this.uploads.set(record.uploadId, { record, parts: new Map() });
    await this.persistence.saveUpload(record);
    return record;
  }

  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Readable, declared: DeclaredDigests): Promise<PartRecord> {
    await this.upload(bucket, key, uploadId);
    const ingested = await this.ingestChecked(body, declared, `/${bucket}/${key}?partNumber=${partNumber}&uploadId=${uploadId}`);
    // The upload may have been completed or aborted while the bytes were arriving.
    const upload = this.uploads.get(uploadId);
    if (!upload) {
      await this.blobs.remove(ingested.blob);
      throw new TosError('NoSuchUpload', `Upload ${uploadId} of ${bucket}/${key} ended while part ${partNumber} was being received.`, `/${bucket}/${key}`);
    }
    const part = partRecordOf(partNumber, ingested, { blob: ingested.blob });
    await this.recordPart(upload, part);
    return part;
  }

  async uploadPartCopy(source: ObjectRef, target: PartRef, plan: (source: ObjectRecord) => [number, number]): Promise<PartRecord> {
    const { uploadId, partNumber } = target;
    await this.upload(target.bucket, target.key, uploadId);
    const src = await this.getObject(source.bucket, source.key);
    const [start, end] = plan(src);
    const segments = sliceSegments(src.segments, start, end);
    // Held while the range is read, so deleting the source meanwhile cannot free its bytes.
    this.refs.retain(segments);
    try {
      const digest = await digestOf(this.blobs.open(segments, 0, end - start));
      const upload = this.uploads.get(uploadId);
      if (!upload) {
        throw new TosError('NoSuchUpload', `Upload ${uploadId} of ${target.bucket}/${target.key} ended while part ${partNumber} was being copied.`, `/${target.bucket}/${target.key}`);
      }
      const part = partRecordOf(partNumber, digest, { segments });
      await this.recordPart(upload, part);
      return part;
    } finally {
      await this.free(this.refs.release(segments));
    }
  }

  async completeUpload(bucket: string, key: string, uploadId: string, requested: { PartNumber: number; ETag: string }[] | 'all'): Promise<ObjectRecord> {
    // A retried Complete of a finished upload (its answer was lost) gets the same object, as on S3; it must
    // never build a second object over the same part blobs.
    const finished = await this.completedUpload(bucket, key, uploadId);
    if (finished) return finished;
    const upload = await this.upload(bucket, key, uploadId);
    const resource = `/${bucket}/${key}`;
    const chosen = requested === 'all' ? [...upload.parts.values()].sort((a, b) => a.partNumber - b.partNumber) : pickParts(upload, requested, resource);
    if (chosen.length === 0) throw new TosError('InvalidRequest', `Upload ${uploadId} has no uploaded parts to complete with.`, resource);
    chosen.forEach((part, i) => {
      if (i < chosen.length - 1 && part.size < MIN_PART_BYTES) {
        throw new TosError(
          'EntityTooSmall',
          `Part ${part.partNumber} of upload ${uploadId} is ${part.size} bytes; every part but the last must be at least ${MIN_PART_BYTES} bytes.`,
          resource,
        );
      }
    });

    const md5OfMd5s = createHash('md5');
    for (const part of chosen) md5OfMd5s.update(Buffer.from(part.md5, 'hex'));
    const object: ObjectRecord = {
      bucket,
      key,
      size: chosen.reduce((n, p) => n + p.size, 0),
      etag: `"${md5OfMd5s.digest('hex')}-${chosen.length}"`,
      crc64: combineCrc64List(chosen),
      lastModified: new Date().toISOString(),
      httpHeaders: upload.record.httpHeaders,
      meta: upload.record.meta,
      segments: chosen.flatMap(partSegments),
      uploadId,
    };
    this.uploads.delete(uploadId);
    // The object record is durable before the upload record goes: a crash in between leaves an upload that
    // load() recognises as completed through `object.uploadId`.
    await this.commitObject(object, []);
    await this.discardUpload(upload);
    return object;
  }

  async completedUpload(bucket: string, key: string, uploadId: string): Promise<ObjectRecord | undefined> {
    await this.bucket(bucket);
    return this.completedObject(bucket, key, uploadId);
  }

  async abortUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    const upload = await this.upload(bucket, key, uploadId);
    this.uploads.delete(uploadId);
    await this.discardUpload(upload);
  }

  async getUpload(bucket: string, key: string, uploadId: string) {
    const upload = await this.upload(bucket, key, uploadId);
    return { upload: upload.record, parts: [...upload.parts.values()].sort((a, b) => a.partNumber - b.partNumber) };
  }

  async listUploads(bucket: string): Promise<UploadRecord[]> {
    await this.bucket(bucket);
    return [...this.uploads.values()]
      .map((u) => u.record)
      .filter((u) => u.bucket === bucket)
      .sort((a, b) => (a.key === b.key ? (a.initiated < b.initiated ? -1 : 1) : a.key < b.key ? -1 : 1));
  }

  // -------------------------------------------------------------------------------------------------- helpers

  private async bucket(name: string): Promise<BucketState> {
    await this.ready;
    const state = this.buckets.get(name);
    if (!state) throw new TosError('NoSuchBucket', `There is no bucket named "${name}".`, `/${name}`);
    return state;
  }

  private async upload(bucket: string, key: string, uploadId: string): Promise<UploadState> {
    await this.bucket(bucket);
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.record.bucket !== bucket || upload.record.key !== key) {
      throw new TosError('NoSuchUpload', `There is no multipart upload ${JSON.stringify(uploadId)} for ${bucket}/${key}.`, `/${bucket}/${key}`);
    }
    return upload;
  }

  /** Ingests a body, then checks the digests the client declared; a mismatch discards the bytes. */
  private async ingestChecked(body: Readable, declared: DeclaredDigests, resource: string): Promise<IngestedBlob> {
    const expectedMd5 = declared.contentMd5 === undefined ? undefined : decodeContentMd5(declared.contentMd5, resource);
    const ingested = await this.blobs.ingest(body);
    let mismatch: string | undefined;
    if (declared.crc64 !== undefined && declared.crc64 !== ingested.crc64) {
      mismatch = `x-tos-hash-crc64ecma was ${declared.crc64} but the ${ingested.size} bytes received have CRC64 ${ingested.crc64}.`;
    } else if (expectedMd5 !== undefined && !expectedMd5.equals(ingested.md5)) {
      mismatch = `Content-MD5 was ${declared.contentMd5} but the ${ingested.size} bytes received have MD5 ${ingested.md5.toString('base64')}.`;
    }
    if (mismatch) {
      await this.blobs.remove(ingested.blob);
      throw new TosError('BadDigest', mismatch, resource);
    }
    return ingested;
  }

  /**
   * Makes `object` visible (replacing any previous version), then frees what the old version alone used.
   * `fresh` are blobs ingested for this object only, removed if it cannot be committed. The new version's
   * references are taken before anything awaits, so a blob it shares with the old version (the same parts
   * completed twice, a copy onto itself) or with a copy source is never freed.
   */
  private async commitObject(object: ObjectRecord, fresh: string[]): Promise<void> {
    const state = this.buckets.get(object.bucket);
    if (!state) {
      // The bucket was deleted while the body was arriving.
      await this.free(fresh.filter((blob) => !this.refs.isReferenced(blob)));
      throw new TosError('NoSuchBucket', `Bucket "${object.bucket}" was deleted while ${object.key} was being written.`, `/${object.bucket}`);
    }
    this.refs.retain(object.segments);
    const previous = state.objects.get(object.key);
    state.objects.set(object.key, object);
    state.sorted = undefined;
    await this.persistence.saveObject(object);
    if (previous) await this.free(this.refs.release(previous.segments));
  }

  /** Records `part` in `upload` (replacing a part of the same number) and frees what the replaced part alone used. */
  private async recordPart(upload: UploadState, part: PartRecord): Promise<void> {
    this.refs.retain(partSegments(part));
    const replaced = upload.parts.get(part.partNumber);
    upload.parts.set(part.partNumber, part);
    await this.persistence.savePart(upload.record.uploadId, part);
    if (replaced) await this.free(this.refs.release(partSegments(replaced)));
  }

  /** The current object at `key` if it was completed from `uploadId` (and not overwritten since). */
  private completedObject(bucket: string, key: string, uploadId: string): ObjectRecord | undefined {
    const object = this.buckets.get(bucket)?.objects.get(key);
    return object?.uploadId === uploadId ? object : undefined;
  }

  /**
   * Removes an upload's record and drops its parts' references: after a Complete the object holds its own, so
   * only parts it did not take are freed; after an abort, all of them.
   */
  private async discardUpload(upload: UploadState): Promise<void> {
    await this.persistence.removeUpload(upload.record.uploadId);
    for (const part of upload.parts.values()) await this.free(this.refs.release(partSegments(part)));
  }

  private async free(blobs: readonly string[]): Promise<void> {
    for (const blob of blobs) await this.blobs.remove(blob);
  }
}

function sortedObjects(state: BucketState): { key: string; item: ObjectRecord }[] {
  state.sorted ??= [...state.objects.values()].map((item) => ({ key: item.key, item })).sort((a, b) => (a.key < b.key ? -1 : 1));
  return state.sorted;
}

/** The parts a complete request names, sorted, each checked to exist with a matching ETag. */
function pickParts(upload: UploadState, requested: { PartNumber: number; ETag: string }[], resource: string): PartRecord[] {
  const sorted = [...requested].sort((a, b) => a.PartNumber - b.PartNumber);
  return sorted.map((want, i) => {
    if (i > 0 && sorted[i - 1]!.PartNumber === want.PartNumber) {
      // InvalidPartOrder (S3's code) is in neither TOS SDK's list; InvalidPart is.
      throw new TosError('InvalidPart', `Part ${want.PartNumber} is listed more than once; expected each part number once.`, resource);
    }
    const part = upload.parts.get(want.PartNumber);
    if (!part) {
      throw new TosError('InvalidPart', `Part ${want.PartNumber} was never uploaded to upload ${upload.record.uploadId}.`, resource);
    }
    if (unquote(want.ETag) !== part.md5) {
      throw new TosError('InvalidPart', `Part ${want.PartNumber} has ETag ${part.etag}, but the request lists ${want.ETag}.`, resource);
    }
    return part;
  });
}

function unquote(etag: string): string {
  return etag.trim().replace(/^"(.*)"$/, '$1');
}

function decodeContentMd5(value: string, resource: string): Buffer {
  const md5 = Buffer.from(value, 'base64');
  if (md5.length !== 16 || md5.toString('base64') !== value.trim()) {
    throw new TosError('InvalidDigest', `Content-MD5 must be the base64 of 16 bytes; found ${JSON.stringify(value)}.`, resource);
  }
  return md5;
}

/** A part as ListParts and Complete see it: its ETag is the MD5 of its bytes, uploaded (a blob) or copied (ranges). */
function partRecordOf(partNumber: number, digest: { size: number; md5: Buffer; crc64: string }, bytes: Pick<PartRecord, 'blob'> | Pick<PartRecord, 'segments'>): PartRecord {
  const md5 = digest.md5.toString('hex');
  return { partNumber, size: digest.size, etag: `"${md5}"`, md5, crc64: digest.crc64, lastModified: new Date().toISOString(), ...bytes };
}
