import { z } from 'zod';
import type { Segment } from './blobs';

/**
 * What the object store keeps about buckets, objects, uploads and parts (bytes live in blobs). These are also
 * the JSON files of persistent mode, so they are zod schemas: a damaged state file is refused with its path.
 */

/**
 * `size` bytes of `blob` from `offset` (absent: 0, as records written before copies existed have it). Copies
 * reference ranges of the source's blobs instead of duplicating bytes.
 */
const SegmentSchema = z.object({ blob: z.string(), size: z.number().int().min(0), offset: z.number().int().min(0).optional() });

export const BucketRecordSchema = z.object({
  name: z.string(),
  createdAt: z.string(),
  region: z.string(),
  /**
   * The owning account when it is not ark-local's own (buckets made by the admin route for cross-account
   * tests); requests signed with ark-local's credentials are refused on it.
   */
  account: z.string().optional(),
});
export type BucketRecord = z.infer<typeof BucketRecordSchema>;

/** Whether another account than ark-local's own owns the bucket. */
export function isForeignBucket(bucket: BucketRecord): boolean {
  return bucket.account !== undefined;
}

/** Standard HTTP headers stored with an object and returned on HEAD/GET. */
export const STORED_HTTP_HEADERS = ['content-type', 'cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'] as const;

export const ObjectRecordSchema = z.object({
  bucket: z.string(),
  key: z.string(),
  size: z.number().int().min(0),
  /** With its quotes, as the ETag header carries it. */
  etag: z.string(),
  crc64: z.string(),
  lastModified: z.string(),
  /** Lower-cased names from STORED_HTTP_HEADERS. */
  httpHeaders: z.record(z.string(), z.string()),
  /** `x-tos-meta-*` names (lower-cased, prefix included) to values exactly as received. */
  meta: z.record(z.string(), z.string()),
  segments: z.array(SegmentSchema),
  /**
   * The multipart upload this object was completed from: a retried CompleteMultipartUpload of it answers with
   * this object, and a restart that finds the upload still recorded (a crash between the two writes of a
   * Complete) knows it finished.
   */
  uploadId: z.string().optional(),
});
export type ObjectRecord = z.infer<typeof ObjectRecordSchema>;

export const UploadRecordSchema = z.object({
  uploadId: z.string(),
  bucket: z.string(),
  key: z.string(),
  initiated: z.string(),
  httpHeaders: z.record(z.string(), z.string()),
  meta: z.record(z.string(), z.string()),
});
export type UploadRecord = z.infer<typeof UploadRecordSchema>;

export const PartRecordSchema = z.object({
  partNumber: z.number().int(),
  size: z.number().int().min(0),
  etag: z.string(),
  md5: z.string(),
  crc64: z.string(),
  lastModified: z.string(),
  /** The blob an uploaded part was ingested into. */
  blob: z.string().optional(),
  /** The source ranges an UploadPartCopy part references (no bytes of its own). */
  segments: z.array(SegmentSchema).optional(),
});
export type PartRecord = z.infer<typeof PartRecordSchema>;

/** The bytes of a part, however it was made. */
export function partSegments(part: PartRecord): Segment[] {
  if (part.segments) return part.segments;
  if (part.blob === undefined) throw new Error(`part ${part.partNumber} records neither a blob nor segments`);
  return [{ blob: part.blob, size: part.size }];
}

/** Object metadata a PUT or CreateMultipartUpload carries. */
export interface ObjectAttributes {
  httpHeaders: Record<string, string>;
  meta: Record<string, string>;
}

/** Digests the client declared for a body; checked after the bytes are in. */
export interface DeclaredDigests {
  crc64?: string;
  /** Base64, from Content-MD5. */
  contentMd5?: string;
}
