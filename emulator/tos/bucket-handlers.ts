import {
  BucketNameSchema,
  DeleteMultiObjectsInputSchema,
  MAX_LIST_KEYS,
  type DeleteMultiObjectsOutput,
  type ListBucketsOutput,
  type ListObjectsType2Output,
} from '../../provider/api/tos';
import { bucketOf, intParam, readJsonBody, sendEmpty, sendTosJson, type TosContext } from './context';
import { TosError } from './errors';
import { decodeContinuationToken, encodeContinuationToken } from './listing';
import { isForeignBucket } from './records';

/**
 * Owner id reported in listings: the account every key ark-local accepts belongs to. Buckets of other accounts
 * (admin route, cross-account tests) refuse those keys (access.ts).
 */
export const OWNER_ID = 'ark-local';

export async function createBucket(ctx: TosContext): Promise<void> {
  const name = bucketOf(ctx);
  if (!BucketNameSchema.safeParse(name).success) {
    throw new TosError('InvalidBucketName', `Bucket names are 3-63 characters of [a-z0-9-] without a leading or trailing '-'; found ${JSON.stringify(name)}.`, `/${name}`);
  }
  ctx.req.resume();
  await ctx.store.createBucket(name, ctx.region);
  sendEmpty(ctx, 200, { location: `/${name}` });
}

export async function headBucket(ctx: TosContext): Promise<void> {
  const bucket = await ctx.store.getBucket(bucketOf(ctx));
  sendEmpty(ctx, 200, {
    'x-tos-bucket-region': bucket.region,
    'x-tos-storage-class': 'STANDARD',
    'x-tos-az-redundancy': 'single-az',
    'x-tos-project-name': 'default',
  });
}

export async function deleteBucket(ctx: TosContext): Promise<void> {
  await ctx.store.deleteBucket(bucketOf(ctx));
  sendEmpty(ctx, 204);
}

export async function listBuckets(ctx: TosContext): Promise<void> {
  const body: ListBucketsOutput = {
    Owner: { ID: OWNER_ID },
    Buckets: (await ctx.store.listBuckets()).filter((b) => !isForeignBucket(b)).map((b) => ({
      Name: b.name,
      CreationDate: b.createdAt,
      Location: b.region,
      ExtranetEndpoint: `tos-${b.region}.volces.com`,
      IntranetEndpoint: `tos-${b.region}.ivolces.com`,
    })),
  };
  sendTosJson(ctx, 200, body);
}

export async function listObjectsType2(ctx: TosContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const q = ctx.target.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') || undefined;
  const maxKeys = intParam(ctx, 'max-keys', MAX_LIST_KEYS, 0, MAX_LIST_KEYS);
  const continuationToken = q.get('continuation-token') || undefined;
  const startAfter = q.get('start-after') || undefined;
  let marker = startAfter;
  if (continuationToken !== undefined) {
    marker = decodeContinuationToken(continuationToken);
    if (marker === undefined) {
      throw new TosError('InvalidArgument', `continuation-token ${JSON.stringify(continuationToken)} is not a token this server issued.`, `/${bucket}`);
    }
  }
  const page = await ctx.store.listObjectsPage(bucket, { prefix, delimiter, maxKeys, marker });
  const body: ListObjectsType2Output = {
    Name: bucket,
    Prefix: prefix,
    MaxKeys: maxKeys,
    ...(delimiter !== undefined ? { Delimiter: delimiter } : {}),
    IsTruncated: page.isTruncated,
    KeyCount: page.entries.length,
    ...(page.nextMarker !== undefined ? { NextContinuationToken: encodeContinuationToken(page.nextMarker) } : {}),
    ...(continuationToken !== undefined ? { ContinuationToken: continuationToken } : {}),
    ...(startAfter !== undefined ? { StartAfter: startAfter } : {}),
    CommonPrefixes: page.entries.flatMap((e) => (e.kind === 'prefix' ? [{ Prefix: e.prefix }] : [])),
    Contents: page.entries.flatMap((e) =>
      e.kind === 'item'
        ? [{
            Key: e.key,
            LastModified: e.item.lastModified,
            ETag: e.item.etag,
            Size: e.item.size,
            StorageClass: 'STANDARD',
            Owner: { ID: OWNER_ID },
            HashCrc64ecma: e.item.crc64,
          }]
        : [],
    ),
  };
  sendTosJson(ctx, 200, body);
}

export async function deleteMultiObjects(ctx: TosContext): Promise<void> {
  const bucket = bucketOf(ctx);
  await ctx.store.getBucket(bucket);
  const input = await readJsonBody(ctx, DeleteMultiObjectsInputSchema, 'DeleteMultiObjects');
  const body: DeleteMultiObjectsOutput = { Deleted: [], Error: [] };
  for (const { Key, VersionId } of input.Objects) {
    try {
      await ctx.store.deleteObject(bucket, Key);
      if (!input.Quiet) body.Deleted.push({ Key, ...(VersionId !== undefined ? { VersionId } : {}) });
    } catch (err) {
      if (!(err instanceof TosError)) throw err;
      body.Error.push({ Key, ...(VersionId !== undefined ? { VersionId } : {}), Code: err.code, Message: err.message });
    }
  }
  sendTosJson(ctx, 200, body);
}
