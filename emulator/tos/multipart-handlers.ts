import {
  CompleteMultipartUploadInputSchema,
  MAX_LIST_KEYS,
  MAX_PART_NUMBER,
  MIN_PART_NUMBER,
  TosHeaders,
  type CompleteMultipartUploadOutput,
  type CreateMultipartUploadOutput,
  type ListMultipartUploadsOutput,
  type ListPartsOutput,
} from '../../provider/api/tos';
import { OWNER_ID } from './bucket-handlers';
import { bucketOf, declaredDigests, intParam, keyOf, objectAttributes, readJsonBody, sendEmpty, sendTosJson, type TosContext } from './context';
import { TosError } from './errors';

export async function createMultipartUpload(ctx: TosContext): Promise<void> {
  ctx.req.resume();
  const upload = await ctx.store.createUpload(bucketOf(ctx), keyOf(ctx), objectAttributes(ctx.req));
  const body: CreateMultipartUploadOutput = { Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId };
  sendTosJson(ctx, 200, body);
}

/** uploadId and partNumber of an UploadPart or UploadPartCopy request, checked. */
export function partParams(ctx: TosContext): { uploadId: string; partNumber: number } {
  const uploadId = ctx.target.query.get('uploadId');
  if (!uploadId) throw new TosError('InvalidArgument', 'UploadPart needs both partNumber and uploadId query parameters; uploadId is missing or empty.');
  const partNumber = intParam(ctx, 'partNumber', 0, 0, Number.MAX_SAFE_INTEGER);
  if (partNumber < MIN_PART_NUMBER || partNumber > MAX_PART_NUMBER) {
    throw new TosError('InvalidArgument', `partNumber must be ${MIN_PART_NUMBER}-${MAX_PART_NUMBER}; found ${JSON.stringify(ctx.target.query.get('partNumber') ?? null)}.`);
  }
  return { uploadId, partNumber };
}

export async function uploadPart(ctx: TosContext): Promise<void> {
  const { uploadId, partNumber } = partParams(ctx);
  const part = await ctx.store.uploadPart(bucketOf(ctx), keyOf(ctx), uploadId, partNumber, ctx.body, declaredDigests(ctx.req));
  sendEmpty(ctx, 200, { etag: part.etag, [TosHeaders.crc64]: part.crc64 });
}

export async function completeMultipartUpload(ctx: TosContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const uploadId = ctx.target.query.get('uploadId') ?? '';
  const completeAll = ctx.req.headers[TosHeaders.completeAll]?.toString().toLowerCase() === 'yes';
  let parts: { PartNumber: number; ETag: string }[] | 'all';
  if (await ctx.store.completedUpload(bucket, key, uploadId)) {
    // A retry of a Complete that succeeded: the store answers with the same object whatever the body lists.
    ctx.req.resume();
    parts = 'all';
  } else if (completeAll) {
    ctx.req.resume();
    parts = 'all';
  } else {
    // Check the upload exists first so a stale uploadId is NoSuchUpload whatever the body says.
    await ctx.store.getUpload(bucket, key, uploadId);
    parts = (await readJsonBody(ctx, CompleteMultipartUploadInputSchema, 'CompleteMultipartUpload')).Parts;
  }
  const object = await ctx.store.completeUpload(bucket, key, uploadId, parts);
  const location = `http://${ctx.req.headers.host ?? '127.0.0.1'}/${bucket}/${encodeURIComponent(key)}`;
  const body: CompleteMultipartUploadOutput = { Bucket: bucket, Key: key, ETag: object.etag, Location: location, HashCrc64ecma: object.crc64 };
  sendTosJson(ctx, 200, body, { etag: object.etag, [TosHeaders.crc64]: object.crc64, location });
}

export async function abortMultipartUpload(ctx: TosContext): Promise<void> {
  ctx.req.resume();
  await ctx.store.abortUpload(bucketOf(ctx), keyOf(ctx), ctx.target.query.get('uploadId') ?? '');
  sendEmpty(ctx, 204);
}

export async function listParts(ctx: TosContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const maxParts = intParam(ctx, 'max-parts', MAX_LIST_KEYS, 0, MAX_LIST_KEYS);
  const marker = intParam(ctx, 'part-number-marker', 0, 0, MAX_PART_NUMBER);
  const { upload, parts } = await ctx.store.getUpload(bucket, key, ctx.target.query.get('uploadId') ?? '');
  const after = parts.filter((p) => p.partNumber > marker);
  const page = after.slice(0, maxParts);
  const body: ListPartsOutput = {
    Bucket: bucket,
    Key: key,
    UploadId: upload.uploadId,
    PartNumberMarker: marker,
    NextPartNumberMarker: page.length > 0 ? page[page.length - 1]!.partNumber : marker,
    MaxParts: maxParts,
    IsTruncated: after.length > page.length,
    StorageClass: 'STANDARD',
    Owner: { ID: OWNER_ID },
    Parts: page.map((p) => ({ PartNumber: p.partNumber, LastModified: p.lastModified, ETag: p.etag, Size: p.size, HashCrc64ecma: p.crc64 })),
  };
  sendTosJson(ctx, 200, body);
}

/**
 * Uploads ordered by (key, initiation); `key-marker` + `upload-id-marker` resume after an upload, a lone
 * `key-marker` after every upload of that key. With a delimiter, keys roll up into common prefixes.
 */
export async function listMultipartUploads(ctx: TosContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const q = ctx.target.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') || undefined;
  const keyMarker = q.get('key-marker') ?? '';
  const uploadIdMarker = q.get('upload-id-marker') ?? '';
  const maxUploads = intParam(ctx, 'max-uploads', MAX_LIST_KEYS, 0, MAX_LIST_KEYS);
  const all = await ctx.store.listUploads(bucket);
  // A NextKeyMarker that is a common prefix stands for its whole group.
  const groupMarker = !!delimiter && keyMarker.length > prefix.length && keyMarker.startsWith(prefix) && keyMarker.endsWith(delimiter);
  let start = 0;
  if (keyMarker !== '') {
    const markerAt = uploadIdMarker === '' ? -1 : all.findIndex((u) => u.key === keyMarker && u.uploadId === uploadIdMarker);
    start = markerAt >= 0 ? markerAt + 1 : all.findIndex((u) => u.key > keyMarker);
    if (start < 0) start = all.length;
  }
  const uploads: ListMultipartUploadsOutput['Uploads'] = [];
  const prefixes: string[] = [];
  let next: { key: string; uploadId: string } | undefined;
  let truncated = false;
  for (let i = start; i < all.length; i++) {
    const u = all[i]!;
    if (!u.key.startsWith(prefix)) continue;
    if (groupMarker && u.key.startsWith(keyMarker)) continue;
    const cut = delimiter ? u.key.indexOf(delimiter, prefix.length) : -1;
    const group = cut >= 0 ? u.key.slice(0, cut + delimiter!.length) : undefined;
    if (group !== undefined && prefixes[prefixes.length - 1] === group) continue;
    if (uploads.length + prefixes.length === maxUploads) {
      truncated = true;
      break;
    }
    if (group !== undefined) prefixes.push(group);
    else uploads.push({ Key: u.key, UploadId: u.uploadId, Owner: { ID: OWNER_ID }, StorageClass: 'STANDARD', Initiated: u.initiated });
    next = { key: group ?? u.key, uploadId: group === undefined ? u.uploadId : '' };
  }
  const body: ListMultipartUploadsOutput = {
    Bucket: bucket,
    Prefix: prefix,
    ...(delimiter !== undefined ? { Delimiter: delimiter } : {}),
    KeyMarker: keyMarker,
    UploadIdMarker: uploadIdMarker,
    NextKeyMarker: truncated && next ? next.key : '',
    NextUploadIdMarker: truncated && next ? next.uploadId : '',
    MaxUploads: maxUploads,
    IsTruncated: truncated,
    Uploads: uploads,
    CommonPrefixes: prefixes.map((Prefix) => ({ Prefix })),
  };
  sendTosJson(ctx, 200, body);
}
