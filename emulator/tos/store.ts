import { createHash, randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { combineCrc64List } from '../../provider/api/crc64';
import { MIN_PART_BYTES } from '../../provider/api/tos';
import { diskBlobs, memoryBlobs, type BlobBackend, type IngestedBlob } from './blobs';
import { TosError } from './errors';
import { listPage, type ListPage, type ListPageRequest } from './listing';
import { diskPersistence, memoryPersistence, type StatePersistence } from './persistence';
import type { BucketRecord, DeclaredDigests, ObjectAttributes, ObjectRecord, PartRecord, UploadRecord } from './records';

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

  createBucket(name: string, region: string): Promise<BucketRecord>;
  getBucket(name: string): Promise<BucketRecord>;
  deleteBucket(name: string): Promise<void>;
  listBuckets(): Promise<BucketRecord[]>;

  putObject(bucket: string, key: string, body: Readable, attributes: ObjectAttributes, declared: DeclaredDigests): Promise<ObjectRecord>;
  getObject(bucket: string, key: string): Promise<ObjectRecord>;
  /** Bytes [start, end) of an object record obtained from getObject. */
  openObject(object: ObjectRecord, start: number, end: number): Readable;
  /** Deleting a missing key succeeds (S3 semantics). */
  deleteObject(bucket: string, key: string): Promise<void>;
  listObjectsPage(bucket: string, request: ListPageRequest): Promise<ListPage<ObjectRecord>>;

  createUpload(bucket: string, key: string, attributes: ObjectAttributes): Promise<UploadRecord>;
  uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Readable, declared: DeclaredDigests): Promise<PartRecord>;
  /** `parts` as the client listed them (any order, ETags with or without quotes), or 'all' uploaded parts. */
  completeUpload(bucket: string, key: string, uploadId: string, parts: { PartNumber: number; ETag: string }[] | 'all'): Promise<ObjectRecord>;
  abortUpload(bucket: string, key: string, uploadId: string): Promise<void>;
  /** The upload and its parts sorted by part number. */
  getUpload(bucket: string, key: string, uploadId: string): Promise<{ upload: UploadRecord; parts: PartRecord[] }>;
  /** Uploads of a bucket sorted by key, then initiation time. */
  listUploads(bucket: string): Promise<UploadRecord[]>;
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
    for (const object of state.objects) this.buckets.get(object.bucket)?.objects.set(object.key, object);
    for (const { upload, parts } of state.uploads) {
      if (!this.buckets.has(upload.bucket)) continue;
      this.uploads.set(upload.uploadId, { record: upload, parts: new Map(parts.map((p) => [p.partNumber, p])) });
    }
    const live = new Set<string>();
    for (const bucket of this.buckets.values()) for (const o of bucket.objects.values()) for (const s of o.segments) live.add(s.blob);
    for (const upload of this.uploads.values()) for (const p of upload.parts.values()) live.add(p.blob);
    await this.blobs.retainOnly(live);
  }

  // ------------------------------------------------------------------------------------ cross-team interface

  async reset(): Promise<void> {
    await this.ready;
    this.buckets.clear();
    this.uploads.clear();
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

  async createBucket(name: string, region: string): Promise<BucketRecord> {
    await this.ready;
    if (this.buckets.has(name)) throw new TosError('BucketAlreadyOwnedByYou', `Bucket "${name}" already exists.`, `/${name}`);
    const record: BucketRecord = { name, createdAt: new Date().toISOString(), region };
    this.buckets.set(name, { record, objects: new Map() });
    await this.persistence.saveBucket(record);
    return record;
  }

  async getBucket(name: string): Promise<BucketRecord> {
    return (await this.bucket(name)).record;
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
    for (const segment of previous.segments) await this.blobs.remove(segment.blob);
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
    const md5 = ingested.md5.toString('hex');
    const part: PartRecord = {
      partNumber,
      size: ingested.size,
      etag: `"${md5}"`,
      md5,
      crc64: ingested.crc64,
      lastModified: new Date().toISOString(),
      blob: ingested.blob,
    };
    const replaced = upload.parts.get(partNumber);
    upload.parts.set(partNumber, part);
    await this.persistence.savePart(uploadId, part);
    if (replaced) await this.blobs.remove(replaced.blob);
    return part;
  }

  async completeUpload(bucket: string, key: string, uploadId: string, requested: { PartNumber: number; ETag: string }[] | 'all'): Promise<ObjectRecord> {
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
      segments: chosen.map((p) => ({ blob: p.blob, size: p.size })),
    };
    const kept = new Set(chosen.map((p) => p.blob));
    this.uploads.delete(uploadId);
    await this.commitObject(object, [...kept]);
    await this.persistence.removeUpload(uploadId);
    for (const part of upload.parts.values()) if (!kept.has(part.blob)) await this.blobs.remove(part.blob);
    return object;
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

  /** Makes `object` visible (replacing any previous version), keeping the blobs in `keep`, then frees the old bytes. */
  private async commitObject(object: ObjectRecord, keep: string[]): Promise<void> {
    const state = this.buckets.get(object.bucket);
    if (!state) {
      // The bucket was deleted while the body was arriving.
      for (const blob of keep) await this.blobs.remove(blob);
      throw new TosError('NoSuchBucket', `Bucket "${object.bucket}" was deleted while ${object.key} was being written.`, `/${object.bucket}`);
    }
    const previous = state.objects.get(object.key);
    state.objects.set(object.key, object);
    state.sorted = undefined;
    await this.persistence.saveObject(object);
    if (previous) for (const segment of previous.segments) await this.blobs.remove(segment.blob);
  }

  private async discardUpload(upload: UploadState): Promise<void> {
    await this.persistence.removeUpload(upload.record.uploadId);
    for (const part of upload.parts.values()) await this.blobs.remove(part.blob);
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
