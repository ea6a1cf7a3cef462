import { z } from 'zod';

/**
 * Wire contracts of the TOS object API as `@volcengine/tos-sdk` 2.9.1 speaks it: JSON (not XML) bodies for
 * lists, multipart and multi-delete, and a JSON error body. The emulator builds its responses with these
 * schemas and the sync client parses with them. Facts: ../shared/reference/tos-protocol.md (beside the repository) (§A.3, §D);
 * what is inferred is listed in docs/api-assumptions.md ("TOS").
 */

// ------------------------------------------------------------------------------------------------------ common

/**
 * `tos://bucket/key`: how pulumi-ark names an object, or a directory when `key` is a prefix ending in `/`
 * (TosModelDir.location, CustomModel.location, every message about an object). The one place it is spelled.
 */
export function tosUri(bucket: string, key = ''): string {
  return `tos://${bucket}/${key}`;
}

/** The TOS endpoint as a URL (`https://tos-cn-beijing.volces.com`, ark-local's `http://127.0.0.1:9000`), for messages. */
export function tosEndpointUrl(settings: { tosEndpoint: string; tosSecure: boolean }): string {
  return `${settings.tosSecure ? 'https' : 'http'}://${settings.tosEndpoint}`;
}

/** 3-63 characters of [a-z0-9-], no leading/trailing '-' (the SDK's own client-side rule). */
export const BucketNameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);

export const OwnerSchema = z.object({ ID: z.string() });

/** Decimal unsigned 64-bit CRC64-ECMA, exactly as the header carries it (no leading zeros). */
export const Crc64Schema = z.string().regex(/^(0|[1-9][0-9]{0,19})$/);

export const StorageClassSchema = z.string();

// --------------------------------------------------------------------------------------------------- buckets

export const ListBucketsOutputSchema = z.object({
  Owner: OwnerSchema,
  Buckets: z.array(
    z.object({
      Name: z.string(),
      CreationDate: z.string(),
      Location: z.string(),
      ExtranetEndpoint: z.string(),
      IntranetEndpoint: z.string(),
    }),
  ),
});
export type ListBucketsOutput = z.infer<typeof ListBucketsOutputSchema>;

// --------------------------------------------------------------------------------------------------- listing

export const ListedObjectSchema = z.object({
  Key: z.string(),
  LastModified: z.string(),
  ETag: z.string(),
  Size: z.number().int().min(0),
  StorageClass: StorageClassSchema,
  Owner: OwnerSchema.optional(),
  HashCrc64ecma: Crc64Schema.optional(),
});
export type ListedObject = z.infer<typeof ListedObjectSchema>;

export const CommonPrefixSchema = z.object({ Prefix: z.string() });

/** `GET /{bucket}/?list-type=2`. `KeyCount` must be a number: the SDK's auto-pagination sums it. */
export const ListObjectsType2OutputSchema = z.object({
  Name: z.string(),
  Prefix: z.string(),
  MaxKeys: z.number().int(),
  Delimiter: z.string().optional(),
  IsTruncated: z.boolean(),
  KeyCount: z.number().int(),
  NextContinuationToken: z.string().optional(),
  ContinuationToken: z.string().optional(),
  StartAfter: z.string().optional(),
  EncodingType: z.string().optional(),
  CommonPrefixes: z.array(CommonPrefixSchema).default([]),
  Contents: z.array(ListedObjectSchema).default([]),
});
export type ListObjectsType2Output = z.infer<typeof ListObjectsType2OutputSchema>;

/** Largest page the listing operations return, whatever `max-keys` asks for. */
export const MAX_LIST_KEYS = 1000;

// --------------------------------------------------------------------------------------------- multi-delete

/** `POST /{bucket}/?delete=` body. */
export const DeleteMultiObjectsInputSchema = z.object({
  Quiet: z.boolean().optional(),
  Objects: z
    .array(z.object({ Key: z.string().min(1), VersionId: z.string().optional() }))
    .min(1)
    .max(1000),
});
export type DeleteMultiObjectsInput = z.infer<typeof DeleteMultiObjectsInputSchema>;

export const DeleteMultiObjectsOutputSchema = z.object({
  Deleted: z.array(z.object({ Key: z.string(), VersionId: z.string().optional() })).default([]),
  Error: z
    .array(z.object({ Key: z.string(), VersionId: z.string().optional(), Code: z.string(), Message: z.string() }))
    .default([]),
});
export type DeleteMultiObjectsOutput = z.infer<typeof DeleteMultiObjectsOutputSchema>;

// ------------------------------------------------------------------------------------------------- multipart

export const CreateMultipartUploadOutputSchema = z.object({
  Bucket: z.string(),
  Key: z.string(),
  UploadId: z.string(),
});
export type CreateMultipartUploadOutput = z.infer<typeof CreateMultipartUploadOutputSchema>;

export const MIN_PART_NUMBER = 1;
export const MAX_PART_NUMBER = 10000;
/**
 * Largest source a single CopyObject copies, and largest range one UploadPartCopy takes (S3's limit; TOS's is
 * inferred to be the same, docs/api-assumptions.md): bigger objects are copied part by part.
 */
export const MAX_COPY_BYTES = 5 * 1024 ** 3;

/** Every part but the last must be at least this big (the SDK raises smaller `partSize`s to it too). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

export const PartNumberSchema = z.number().int().min(MIN_PART_NUMBER).max(MAX_PART_NUMBER);

/**
 * `POST /{bucket}/{key}?uploadId=` body. Parts may arrive unsorted (the SDK lists them in completion order)
 * and ETags carry their quotes.
 */
export const CompleteMultipartUploadInputSchema = z.object({
  Parts: z.array(z.object({ PartNumber: PartNumberSchema, ETag: z.string().min(1) })).min(1),
});
export type CompleteMultipartUploadInput = z.infer<typeof CompleteMultipartUploadInputSchema>;

/** The SDK builds its result from the headers, then lets these body fields override them. */
export const CompleteMultipartUploadOutputSchema = z.object({
  Bucket: z.string(),
  Key: z.string(),
  ETag: z.string(),
  Location: z.string(),
  HashCrc64ecma: Crc64Schema.optional(),
});
export type CompleteMultipartUploadOutput = z.infer<typeof CompleteMultipartUploadOutputSchema>;

export const ListedPartSchema = z.object({
  PartNumber: z.number().int(),
  LastModified: z.string(),
  ETag: z.string(),
  Size: z.number().int().min(0),
  HashCrc64ecma: Crc64Schema.optional(),
});

export const ListPartsOutputSchema = z.object({
  Bucket: z.string(),
  Key: z.string(),
  UploadId: z.string(),
  PartNumberMarker: z.number().int(),
  NextPartNumberMarker: z.number().int(),
  MaxParts: z.number().int(),
  IsTruncated: z.boolean(),
  StorageClass: StorageClassSchema,
  Owner: OwnerSchema,
  Parts: z.array(ListedPartSchema).default([]),
});
export type ListPartsOutput = z.infer<typeof ListPartsOutputSchema>;

export const ListMultipartUploadsOutputSchema = z.object({
  Bucket: z.string(),
  Prefix: z.string(),
  Delimiter: z.string().optional(),
  KeyMarker: z.string(),
  UploadIdMarker: z.string(),
  NextKeyMarker: z.string(),
  NextUploadIdMarker: z.string(),
  MaxUploads: z.number().int(),
  IsTruncated: z.boolean(),
  Uploads: z
    .array(
      z.object({
        Key: z.string(),
        UploadId: z.string(),
        Owner: OwnerSchema,
        StorageClass: StorageClassSchema,
        Initiated: z.string(),
      }),
    )
    .default([]),
  CommonPrefixes: z.array(CommonPrefixSchema).default([]),
});
export type ListMultipartUploadsOutput = z.infer<typeof ListMultipartUploadsOutputSchema>;

// ------------------------------------------------------------------------------------------------------ copy

/**
 * Body of CopyObject and UploadPartCopy answers (`PUT` with `x-tos-copy-source`): the SDK's copyObject and
 * uploadPartCopy return it as `data` and fail when `ETag` is absent; the CRC64 travels in the header.
 */
export const CopyOutputSchema = z.object({ ETag: z.string(), LastModified: z.string() });
export type CopyOutput = z.infer<typeof CopyOutputSchema>;

// ----------------------------------------------------------------------------------------------------- errors

/** `{Code, Message, RequestId, HostId, Resource?, EC?}`; HEAD errors and `getObjectV2` errors carry no parsed body. */
export const TosErrorBodySchema = z.object({
  Code: z.string(),
  Message: z.string(),
  RequestId: z.string(),
  HostId: z.string(),
  Resource: z.string().optional(),
  EC: z.string().optional(),
});
export type TosErrorBody = z.infer<typeof TosErrorBodySchema>;

export interface TosErrorSpec {
  readonly status: number;
  /**
   * The `x-tos-ec` value. Only NoSuchBucket's `0006-00000001` is a real TOS value (the SDK's doesBucketExist
   * tests it); the others are placeholders in the same shape, listed in docs/api-assumptions.md.
   */
  readonly ec: string;
  readonly message: string;
}

/** TOS error codes (names from the SDK's TosServerCode enum and the Go SDK) with their HTTP status. */
export const TosErrors = {
  AccessDenied: { status: 403, ec: '0003-00000001', message: 'Access Denied.' },
  InvalidAccessKeyId: { status: 403, ec: '0002-00000001', message: 'The access key ID you provided does not exist in our records.' },
  SignatureDoesNotMatch: { status: 403, ec: '0002-00000003', message: 'The request signature we calculated does not match the signature you provided.' },
  RequestTimeTooSkewed: { status: 403, ec: '0002-00000004', message: 'The difference between the request time and the server time is too large.' },
  AuthorizationQueryParametersError: { status: 400, ec: '0002-00000005', message: 'The presigned URL query parameters are not valid.' },
  NoSuchBucket: { status: 404, ec: '0006-00000001', message: 'The specified bucket does not exist.' },
  NoSuchKey: { status: 404, ec: '0017-00000003', message: 'The specified key does not exist.' },
  NoSuchUpload: { status: 404, ec: '0018-00000001', message: 'The specified multipart upload does not exist.' },
  BucketAlreadyExists: { status: 409, ec: '0006-00000002', message: 'The requested bucket name is not available; another account owns it.' },
  BucketAlreadyOwnedByYou: { status: 409, ec: '0006-00000003', message: 'Your previous request to create the named bucket succeeded and you already own it.' },
  BucketNotEmpty: { status: 409, ec: '0006-00000004', message: 'The bucket you tried to delete is not empty.' },
  InvalidBucketName: { status: 400, ec: '0006-00000005', message: 'The specified bucket is not valid.' },
  InvalidKey: { status: 400, ec: '0017-00000004', message: 'The object key is not valid.' },
  InvalidArgument: { status: 400, ec: '0004-00000001', message: 'An argument is not valid.' },
  InvalidRequest: { status: 400, ec: '0004-00000002', message: 'The request is not valid.' },
  MalformedBody: { status: 400, ec: '0004-00000003', message: 'The request body is not well-formed JSON of the expected shape.' },
  MissingRequestBody: { status: 400, ec: '0004-00000004', message: 'The request body is missing.' },
  BadDigest: { status: 400, ec: '0017-00000005', message: 'The digest you specified did not match what we received.' },
  InvalidDigest: { status: 400, ec: '0017-00000006', message: 'The Content-MD5 you specified is not valid.' },
  EntityTooSmall: { status: 400, ec: '0018-00000002', message: 'Your proposed upload is smaller than the minimum allowed size.' },
  EntityTooLarge: { status: 400, ec: '0017-00000007', message: 'Your proposed upload exceeds the maximum allowed size.' },
  InvalidPart: { status: 400, ec: '0018-00000003', message: 'One or more of the specified parts could not be found or its ETag did not match.' },
  /** The code string has spaces in both TOS SDKs' lists (TosServerCode.RequestedRangeNotSatisfiable). */
  'Requested Range Not Satisfiable': { status: 416, ec: '0017-00000008', message: 'The requested range is not satisfiable.' },
  PreconditionFailed: { status: 412, ec: '0017-00000009', message: 'At least one of the preconditions you specified did not hold.' },
  MethodNotAllowed: { status: 405, ec: '0004-00000005', message: 'The specified method is not allowed against this resource.' },
  UnImplemented: { status: 501, ec: '0004-00000006', message: 'ark-local does not implement this TOS operation.' },
  TooManyRequests: { status: 429, ec: '0001-00000429', message: 'Too many requests; please retry later.' },
  ServiceUnavailable: { status: 503, ec: '0001-00000503', message: 'The service is temporarily unavailable; please retry.' },
  InternalError: { status: 500, ec: '0001-00000500', message: 'We encountered an internal error; please try again.' },
} as const satisfies Record<string, TosErrorSpec>;

export type TosErrorCode = keyof typeof TosErrors;

/** The header names the SDK relies on. */
export const TosHeaders = {
  requestId: 'x-tos-request-id',
  id2: 'x-tos-id-2',
  ec: 'x-tos-ec',
  crc64: 'x-tos-hash-crc64ecma',
  metaPrefix: 'x-tos-meta-',
  storageClass: 'x-tos-storage-class',
  date: 'x-tos-date',
  contentSha256: 'x-tos-content-sha256',
  completeAll: 'x-tos-complete-all',
  copySource: 'x-tos-copy-source',
  copySourceRange: 'x-tos-copy-source-range',
  metadataDirective: 'x-tos-metadata-directive',
} as const;
