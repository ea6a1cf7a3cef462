import { tosUri } from '../api/tos';
import type { TosStorage } from '../clients/tos/client';
import { TosCallError } from '../clients/tos/errors';
import type { ModelFileSource } from '../model/source';
import { relativeKey } from '../sync/keys';
import { mapPool } from '../sync/pool';
import type { SourceFile, SourceTransfer } from '../sync/remote-sync';
import { selectModelFiles } from './select';

/**
 * A model that already lives under a TOS prefix (a training job's output): listed, validated through ranged
 * GETs, and copied server-side. Its fingerprints are the CRC64s TOS reports, the same values a local upload of
 * the same bytes would record, so the content digest does not depend on where the weights came from.
 */

export interface TosSourceFile extends SourceFile {
  key: string;
  /** The ETag the listing gave: copies are made only while the object still has it. */
  etag: string;
}

export interface TosSourceListing {
  bucket: string;
  /** Normalised, ending with "/". */
  prefix: string;
  files: TosSourceFile[];
}

/** The source moved under the sync: an object was overwritten or removed after it was listed. */
export class SourceChangedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceChangedError';
  }
}

/**
 * Lists the model's objects under the prefix (hidden and excluded files left out). A CRC64 the listing lacks is
 * read with a HEAD: a file without one has no fingerprint, so it is refused rather than copied blind.
 */
export async function listTosSource(storage: TosStorage, bucket: string, prefix: string, exclude: readonly string[]): Promise<TosSourceListing> {
  const listed = await storage.listPrefix(bucket, prefix);
  const candidates = selectModelFiles(
    listed.flatMap((o) => {
      const path = relativeKey(prefix, o.key);
      return path === undefined ? [] : [{ ...o, path }];
    }),
    exclude,
  );
  const files = await mapPool(candidates, 16, async (o): Promise<TosSourceFile> => {
    const crc64 = o.crc64 ?? (await storage.head(bucket, o.key))?.crc64;
    if (crc64 === undefined) {
      throw new Error(`${tosUri(bucket, o.key)}: expected TOS to report a CRC64 for the object, found none; its content cannot be fingerprinted without reading it`);
    }
    return { path: o.path, key: o.key, size: o.size, fingerprint: crc64, etag: o.etag };
  });
  return { bucket, prefix, files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
}

/** The validator's view of the prefix: the listing taken, and byte ranges by ranged GET. */
export function tosModelFileSource(storage: TosStorage, listing: TosSourceListing): ModelFileSource {
  const byPath = new Map(listing.files.map((f) => [f.path, f]));
  return {
    describe: () => tosUri(listing.bucket, listing.prefix),
    list: async () => listing.files.map((f) => ({ path: f.path, size: f.size })),
    async read(path, start, length) {
      const file = byPath.get(path);
      if (!file) throw new Error(`${tosUri(listing.bucket, listing.prefix)}${path}: expected an object listed under the model prefix, found no such key`);
      return storage.getRange(listing.bucket, file.key, start, Math.min(length, Math.max(0, file.size - start)));
    },
  };
}

/** Server-side copies of the listed objects, each only while the source still has the listed ETag. */
export function tosCopyTransfer(storage: TosStorage, listing: TosSourceListing): SourceTransfer {
  const byPath = new Map(listing.files.map((f) => [f.path, f]));
  const sourceOf = (file: SourceFile) => {
    const listed = byPath.get(file.path)!;
    return { bucket: listing.bucket, key: listed.key, ifMatch: listed.etag };
  };
  const changed = (file: SourceFile, error: unknown): unknown => {
    if (!(error instanceof TosCallError) || (error.code !== 'PreconditionFailed' && error.code !== 'NoSuchKey')) return error;
    const what = error.code === 'NoSuchKey' ? 'was deleted' : 'was overwritten';
    return new SourceChangedError(
      `${tosUri(listing.bucket, byPath.get(file.path)!.key)} ${what} after it was listed (ETag ${byPath.get(file.path)!.etag}): the source changed during the copy, so nothing of it is deployed; run \`pulumi up\` again to copy the source as it is now`,
    );
  };
  return {
    describe: () => tosUri(listing.bucket, listing.prefix),
    fingerprintInMetadata: false,
    fingerprintOf: (object) => object.crc64,
    metaFor: () => ({}),
    expectedCrc64: (file) => file.fingerprint,
    async whole(file, target, meta, onBytes) {
      try {
        const result = await storage.copyObject(sourceOf(file), target, meta);
        onBytes(file.size);
        return { crc64: result.crc64 };
      } catch (error) {
        throw changed(file, error);
      }
    },
    async part(file, target, range, onBytes) {
      try {
        const sent = await storage.uploadPartCopy(sourceOf(file), target, { start: range.start, end: range.end - 1 });
        onBytes(range.end - range.start);
        return sent;
      } catch (error) {
        throw changed(file, error);
      }
    },
  };
}
