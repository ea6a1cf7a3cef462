import type { IncomingHttpHeaders } from 'node:http';
import { MAX_COPY_BYTES, TosHeaders, type CopyOutput } from '../../provider/api/tos';
import { bucketOf, objectAttributes, sendTosJson, type TosContext } from './context';
import { TosError } from './errors';
import { partParams } from './multipart-handlers';
import { newKeyOf } from './object-handlers';
import { isForeignBucket, type ObjectAttributes, type ObjectRecord } from './records';
import type { ObjectRef } from './store';

/**
 * CopyObject and UploadPartCopy: `PUT` with `x-tos-copy-source`. The store makes copies reference the
 * source's blobs; here are TOS's rules around them (who may read the source, regions, conditions, limits).
 */

export async function copyObject(ctx: TosContext): Promise<void> {
  ctx.req.resume();
  const target = { bucket: bucketOf(ctx), key: newKeyOf(ctx) };
  const source = parseCopySource(ctx);
  await checkSourceBucket(ctx, source, target.bucket);
  const directive = metadataDirective(ctx.req.headers);
  const requested = directive === 'REPLACE' ? objectAttributes(ctx.req) : undefined;
  const object = await ctx.store.copyObject(source, target, (src): ObjectAttributes => {
    checkCopyConditions(ctx.req.headers, src);
    if (src.size > MAX_COPY_BYTES) {
      throw new TosError(
        'InvalidRequest',
        `The copy source is ${src.size} bytes; CopyObject copies at most ${MAX_COPY_BYTES}. Copy it with a multipart upload (UploadPartCopy).`,
        sourceResource(source),
      );
    }
    if (!requested && source.bucket === target.bucket && source.key === target.key) {
      throw new TosError('InvalidRequest', `Copying /${source.bucket}/${source.key} onto itself changes nothing; expected x-tos-metadata-directive: REPLACE.`, sourceResource(source));
    }
    return requested ?? { httpHeaders: { ...src.httpHeaders }, meta: { ...src.meta } };
  });
  const body: CopyOutput = { ETag: object.etag, LastModified: object.lastModified };
  sendTosJson(ctx, 200, body, { [TosHeaders.crc64]: object.crc64 });
}

export async function uploadPartCopy(ctx: TosContext): Promise<void> {
  ctx.req.resume();
  const { uploadId, partNumber } = partParams(ctx);
  const target = { bucket: bucketOf(ctx), key: newKeyOf(ctx), uploadId, partNumber };
  const source = parseCopySource(ctx);
  await checkSourceBucket(ctx, source, target.bucket);
  const part = await ctx.store.uploadPartCopy(source, target, (src) => {
    checkCopyConditions(ctx.req.headers, src);
    const range = copyRange(ctx.req.headers[TosHeaders.copySourceRange], src.size, sourceResource(source));
    if (range[1] - range[0] > MAX_COPY_BYTES) {
      throw new TosError('InvalidRequest', `The copy range is ${range[1] - range[0]} bytes; a part copies at most ${MAX_COPY_BYTES}.`, sourceResource(source));
    }
    return range;
  });
  const body: CopyOutput = { ETag: part.etag, LastModified: part.lastModified };
  sendTosJson(ctx, 200, body, { [TosHeaders.crc64]: part.crc64 });
}

function sourceResource(source: ObjectRef): string {
  return `/${source.bucket}/${source.key}`;
}

/**
 * `/{bucket}/{url-encoded key}`, exactly what the SDK sends (getCopySourceHeaderValue). The leading slash is
 * required (the restrictive reading); `?versionId=` names a version, and ark-local keeps none.
 */
export function parseCopySource(ctx: TosContext): ObjectRef {
  const header = ctx.target.copySource ?? '';
  const m = /^\/([^/?]+)\/([^?]+)(\?.*)?$/.exec(header);
  if (!m) throw new TosError('InvalidArgument', `${TosHeaders.copySource} must be /{bucket}/{url-encoded key}; found ${JSON.stringify(header)}.`);
  if (m[3] !== undefined) {
    throw new TosError('UnImplemented', `${TosHeaders.copySource} ${JSON.stringify(header)} names a version; ark-local keeps no object versions.`);
  }
  try {
    return { bucket: decodeURIComponent(m[1]!), key: decodeURIComponent(m[2]!) };
  } catch {
    throw new TosError('InvalidArgument', `${TosHeaders.copySource} ${JSON.stringify(header)} is not valid percent-encoding.`);
  }
}

/** The source bucket exists, belongs to the caller's account and is in the destination's region. */
async function checkSourceBucket(ctx: TosContext, source: ObjectRef, targetBucket: string): Promise<void> {
  const from = await ctx.store.findBucket(source.bucket);
  if (!from) throw new TosError('NoSuchBucket', `The copy source bucket "${source.bucket}" does not exist.`, `/${source.bucket}`);
  if (isForeignBucket(from)) {
    throw new TosError('AccessDenied', `The copy source bucket "${source.bucket}" belongs to another account; this request's credentials cannot read it.`, sourceResource(source));
  }
  const to = await ctx.store.getBucket(targetBucket);
  if (from.region !== to.region) {
    throw new TosError(
      'InvalidRequest',
      `Copies stay within a region: the source bucket "${from.name}" is in ${from.region}, the destination "${to.name}" in ${to.region}.`,
      sourceResource(source),
    );
  }
}

function metadataDirective(headers: IncomingHttpHeaders): 'COPY' | 'REPLACE' {
  const value = headers[TosHeaders.metadataDirective];
  if (value === undefined) return 'COPY';
  if (value === 'COPY' || value === 'REPLACE') return value;
  throw new TosError('InvalidArgument', `${TosHeaders.metadataDirective} must be COPY or REPLACE; found ${JSON.stringify(value)}.`);
}

/**
 * `x-tos-copy-source-if-*`, with S3's pairing: If-Match decides over If-Unmodified-Since, If-None-Match over
 * If-Modified-Since. Every failure is 412 PreconditionFailed (a copy has no 304). ETags compare without quotes.
 */
export function checkCopyConditions(headers: IncomingHttpHeaders, src: ObjectRecord): void {
  const resource = `/${src.bucket}/${src.key}`;
  const header = (name: string): string | undefined => {
    const v = headers[`x-tos-copy-source-${name}`];
    return typeof v === 'string' ? v : undefined;
  };
  const bare = (etag: string): string => etag.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  const matches = (list: string): boolean => list.split(',').some((t) => t.trim() === '*' || bare(t) === bare(src.etag));
  const modified = Math.floor(Date.parse(src.lastModified) / 1000) * 1000;
  const fail = (why: string): never => {
    throw new TosError('PreconditionFailed', `${why} (copy source ${resource}).`, resource);
  };
  const ifMatch = header('if-match');
  const ifUnmodifiedSince = header('if-unmodified-since');
  const ifNoneMatch = header('if-none-match');
  const ifModifiedSince = header('if-modified-since');
  if (ifMatch !== undefined) {
    if (!matches(ifMatch)) fail(`x-tos-copy-source-if-match ${ifMatch} does not match ETag ${src.etag}`);
  } else if (ifUnmodifiedSince !== undefined && modified > Date.parse(ifUnmodifiedSince)) {
    fail(`the source was modified at ${new Date(src.lastModified).toUTCString()}, after x-tos-copy-source-if-unmodified-since ${ifUnmodifiedSince}`);
  }
  if (ifNoneMatch !== undefined) {
    if (matches(ifNoneMatch)) fail(`x-tos-copy-source-if-none-match ${ifNoneMatch} matches ETag ${src.etag}`);
  } else if (ifModifiedSince !== undefined && modified <= Date.parse(ifModifiedSince)) {
    fail(`the source was not modified after x-tos-copy-source-if-modified-since ${ifModifiedSince}`);
  }
}

/**
 * `bytes=first-last` (inclusive, both given, inside the source) as [start, end); absent, the whole source. Unlike
 * a GET Range, a bad copy range is refused rather than ignored.
 */
export function copyRange(header: string | string[] | undefined, size: number, resource: string): [number, number] {
  if (header === undefined) return [0, size];
  const m = typeof header === 'string' ? /^bytes=(\d+)-(\d+)$/.exec(header.trim()) : null;
  const first = m ? Number(m[1]) : NaN;
  const last = m ? Number(m[2]) : NaN;
  if (!m || first > last || last >= size) {
    throw new TosError('InvalidArgument', `${TosHeaders.copySourceRange} must be bytes=first-last within the ${size}-byte source; found ${JSON.stringify(header)}.`, resource);
  }
  return [first, last + 1];
}
