import type { Readable } from 'node:stream';
import { TosClient } from '@volcengine/tos-sdk';
import { tosEndpointUrl, tosUri } from '../../api/tos';
import type { ProviderSettings } from '../../resources/controller';
import { DEFAULT_RETRY_POLICY, withRetry, type RetryPolicy } from '../retry';
import { BUCKET_REGION_HEADER } from './bucket-region';
import { classifyTosError, toTosCallError, TosCallError, type TosEndpointHint } from './errors';

/** One object as listed under a prefix. */
export interface RemoteObject {
  key: string;
  size: number;
  /** Absent when the listing did not report it (then a HEAD supplies it). */
  crc64?: string;
  etag: string;
  lastModified: string;
}

export interface ObjectHead {
  size: number;
  crc64?: string;
  etag: string;
  lastModified: string;
  /** User metadata (`x-tos-meta-<name>`), keyed by `<name>`. */
  meta: Record<string, string>;
}

export interface UploadResult {
  crc64?: string;
  etag?: string;
}

/** An open (initiated, neither completed nor aborted) multipart upload. */
export interface OpenUpload {
  key: string;
  uploadId: string;
  initiated: string;
}

/** A part already uploaded to an open multipart upload. */
export interface UploadedPart {
  partNumber: number;
  size: number;
  /** The part's ETag without quotes: the hex MD5 of its bytes for unencrypted uploads. */
  etag: string;
  /** When the listing reports it (ark-local does; the SDK's types do not promise it). */
  crc64?: string;
}

/** An object to copy from; `ifMatch` (an ETag, quotes optional) makes the copy fail with 412 if it changed. */
export interface CopySource {
  bucket: string;
  key: string;
  ifMatch?: string;
}

/** A request body that can be opened again for each attempt (a consumed stream cannot be re-sent). */
export interface BodySource {
  size: number;
  open(): Readable;
}

export interface TosStorageOptions {
  retry?: RetryPolicy;
  /**
   * Once aborted, no call starts or retries and a backoff sleep ends at once, with the signal's reason (what
   * is in flight fails on its own when the caller destroys its body).
   */
  signal?: AbortSignal;
  /** Called before each backoff sleep (logs, tests). */
  onRetry?(info: { operation: string; attempt: number; delayMs: number; error: TosCallError }): void;
}

/** An `onRetry` that reports each retry as one warning line: what failed, which attempt, how long until the next. */
export function warnOnRetry(warn: (line: string) => void): NonNullable<TosStorageOptions['onRetry']> {
  return ({ operation, attempt, delayMs, error }) => warn(`${operation}: attempt ${attempt} failed (${error.code}); retrying in ${delayMs} ms`);
}

/** Requests are generous because one part of a multi-GB shard can take a while on a slow link. */
const REQUEST_TIMEOUT_MS = 300_000;

/**
 * The TOS operations the sync engine needs, over the official SDK. Every call is wrapped so that failures are
 * TosCallErrors naming the object, and throttling/5xx/broken connections are retried with backoff and jitter
 * beyond the SDK's own immediate retries. Credentials come from `settings` at construction, which the caller
 * does per controller call; nothing here is cached across calls.
 */
export class TosStorage {
  readonly sdk: TosClient;
  private readonly retryPolicy: RetryPolicy;
  private readonly endpointHint: TosEndpointHint;

  constructor(
    settings: ProviderSettings,
    private readonly options: TosStorageOptions = {},
  ) {
    this.sdk = new TosClient({
      accessKeyId: settings.accessKeyId,
      accessKeySecret: settings.secretAccessKey,
      region: settings.region,
      endpoint: settings.tosEndpoint,
      secure: settings.tosSecure,
      requestTimeout: REQUEST_TIMEOUT_MS,
      // The sync verifies every object's final CRC64 against the local fingerprint itself; the SDK's per-part
      // check would hash every byte a second time on the client for no extra guarantee.
      enableCRC: false,
    });
    this.retryPolicy = options.retry ?? DEFAULT_RETRY_POLICY;
    this.endpointHint = { url: tosEndpointUrl(settings), source: settings.sources?.tosEndpoint };
  }

  /** Runs `call` with backoff retries; errors leave as TosCallError naming `operation`. */
  async call<T>(operation: string, call: () => Promise<T>): Promise<T> {
    return withRetry(
      async () => {
        try {
          return await call();
        } catch (error) {
          throw toTosCallError(operation, error, this.endpointHint);
        }
      },
      {
        policy: this.retryPolicy,
        signal: this.options.signal,
        classify: classifyTosError,
        onRetry: ({ attempt, delayMs, error }) => this.options.onRetry?.({ operation, attempt, delayMs, error: error as TosCallError }),
      },
    );
  }

  /** HEAD of a bucket: undefined when it does not exist, else its region as TOS reports it (may be absent). */
  async headBucket(bucket: string): Promise<{ region?: string } | undefined> {
    try {
      const { data } = await this.call(`HEAD bucket ${bucket}`, () => this.sdk.headBucket(bucket));
      const region = (data as unknown as Record<string, unknown>)[BUCKET_REGION_HEADER];
      return { region: typeof region === 'string' && region ? region : undefined };
    } catch (error) {
      if (error instanceof TosCallError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  async bucketExists(bucket: string): Promise<boolean> {
    return (await this.headBucket(bucket)) !== undefined;
  }

  async createBucket(bucket: string): Promise<void> {
    await this.call(`create bucket ${bucket}`, () => this.sdk.createBucket({ bucket }));
  }

  /** Every object under `prefix`, paginated (the SDK's auto-pagination stops at maxKeys). */
  async listPrefix(bucket: string, prefix: string): Promise<RemoteObject[]> {
    const out: RemoteObject[] = [];
    let continuationToken: string | undefined;
    do {
      // Never pass an explicit undefined query option: the SDK would sign `continuation-token=undefined`.
      const input = { bucket, prefix, maxKeys: 1000, listOnlyOnce: true, ...(continuationToken ? { continuationToken } : {}) };
      const { data } = await this.call(`list ${tosUri(bucket, prefix)}`, () => this.sdk.listObjectsType2(input));
      for (const item of data.Contents) {
        out.push({
          key: item.Key,
          size: Number(item.Size),
          crc64: item.HashCrc64ecma ? String(item.HashCrc64ecma) : undefined,
          etag: item.ETag,
          lastModified: item.LastModified,
        });
      }
      continuationToken = data.IsTruncated ? data.NextContinuationToken : undefined;
    } while (continuationToken);
    return out;
  }

  /** HEAD of one object; undefined when it does not exist. */
  async head(bucket: string, key: string): Promise<ObjectHead | undefined> {
    try {
      const { data } = await this.call(`HEAD ${tosUri(bucket, key)}`, () => this.sdk.headObject({ bucket, key }));
      const meta: Record<string, string> = {};
      for (const [name, value] of Object.entries(data)) {
        if (name.startsWith('x-tos-meta-') && typeof value === 'string') meta[name.slice('x-tos-meta-'.length)] = value;
      }
      const crc = data['x-tos-hash-crc64ecma'];
      return {
        size: Number(data['content-length']),
        crc64: crc ? String(crc) : undefined,
        etag: data.etag,
        lastModified: data['last-modified'],
        meta,
      };
    } catch (error) {
      if (error instanceof TosCallError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  /** Deletes `keys` (multi-object delete, 1000 per request); throws naming every key TOS refused. */
  async deleteKeys(bucket: string, keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const { data } = await this.call(`delete ${batch.length} objects in ${tosUri(bucket)}`, () =>
        this.sdk.deleteMultiObjects({ bucket, objects: batch.map((key) => ({ key })), quiet: false }),
      );
      if (data.Error.length > 0) {
        const failures = data.Error.map((e) => `${e.Key}: ${e.Code} ${e.Message}`).join('; ');
        throw new TosCallError(`delete objects in ${tosUri(bucket)}`, data.Error[0].Code, 200, undefined, `expected every object deleted, found failures: ${failures}`);
      }
    }
  }

  /**
   * Single streaming PUT (small files: one request instead of three). Each attempt opens `body` again.
   * `onBytes` sees every byte sent, retries included.
   */
  async putObject(bucket: string, key: string, body: BodySource, meta: Record<string, string>, onBytes: (delta: number) => void): Promise<UploadResult> {
    const { data } = await this.call(`PUT ${tosUri(bucket, key)}`, () =>
      this.sdk.putObject({
        bucket,
        key,
        body: body.open(),
        contentLength: body.size,
        meta,
        dataTransferStatusChange: (status) => {
          if (status.type === 2 /* Rw */ && status.rwOnceBytes > 0) onBytes(status.rwOnceBytes);
        },
      }),
    );
    const headers = data as unknown as Record<string, string | undefined>;
    return { crc64: headers['x-tos-hash-crc64ecma'], etag: headers.etag };
  }

  /**
   * Server-side copy of a whole object (at most 5 GiB; bigger ones go part by part with uploadPartCopy), its
   * metadata replaced by `meta`. A source that no longer matches `source.ifMatch` fails with code
   * PreconditionFailed, never retried.
   */
  async copyObject(source: CopySource, target: { bucket: string; key: string }, meta: Record<string, string>): Promise<UploadResult> {
    const { data, headers } = await this.call(`copy ${tosUri(source.bucket, source.key)} to ${tosUri(target.bucket, target.key)}`, () =>
      this.sdk.copyObject({
        bucket: target.bucket,
        key: target.key,
        srcBucket: source.bucket,
        srcKey: source.key,
        metadataDirective: 'REPLACE',
        meta,
        ...(source.ifMatch !== undefined ? { copySourceIfMatch: source.ifMatch } : {}),
      }),
    );
    return { crc64: headers['x-tos-hash-crc64ecma'] || undefined, etag: data.ETag };
  }

  /** Copies bytes `range.start`..`range.end` (inclusive) of `source` into one part of an open multipart upload. */
  async uploadPartCopy(
    source: CopySource,
    target: { bucket: string; key: string; uploadId: string; partNumber: number },
    range: { start: number; end: number },
  ): Promise<{ etag: string; crc64?: string }> {
    const { bucket, key, uploadId, partNumber } = target;
    const { data, headers } = await this.call(`copy part ${partNumber} of ${tosUri(bucket, key)} from ${tosUri(source.bucket, source.key)}`, () =>
      this.sdk.uploadPartCopy({
        bucket,
        key,
        uploadId,
        partNumber,
        srcBucket: source.bucket,
        srcKey: source.key,
        copySourceRangeStart: range.start,
        copySourceRangeEnd: range.end,
        // The SDK's uploadPartCopy has no option for the condition; the header is what copyObject's option sends.
        ...(source.ifMatch !== undefined ? { headers: { 'x-tos-copy-source-if-match': source.ifMatch } } : {}),
      }),
    );
    return { etag: data.ETag, crc64: headers['x-tos-hash-crc64ecma'] || undefined };
  }

  /** `length` bytes of an object from `start`, fewer (possibly none) where the object ends first. */
  async getRange(bucket: string, key: string, start: number, length: number): Promise<Buffer> {
    if (length <= 0) return Buffer.alloc(0);
    try {
      const { data } = await this.call(`GET bytes ${start}-${start + length - 1} of ${tosUri(bucket, key)}`, () =>
        this.sdk.getObjectV2({ bucket, key, rangeStart: start, rangeEnd: start + length - 1, dataType: 'buffer' }),
      );
      return data.content;
    } catch (error) {
      // 416: the range starts at or past the end of the object, so there is nothing to read.
      if (error instanceof TosCallError && error.statusCode === 416) return Buffer.alloc(0);
      throw error;
    }
  }

  /** Starts a multipart upload; `meta` becomes the finished object's metadata. */
  async createMultipartUpload(bucket: string, key: string, meta: Record<string, string>): Promise<string> {
    const { data } = await this.call(`create multipart upload ${tosUri(bucket, key)}`, () => this.sdk.createMultipartUpload({ bucket, key, meta }));
    return data.UploadId;
  }

  /** Sends one part; each attempt opens `body` again. */
  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: BodySource, onBytes: (delta: number) => void): Promise<{ etag: string; crc64?: string }> {
    const { data } = await this.call(`upload part ${partNumber} of ${tosUri(bucket, key)}`, () =>
      this.sdk.uploadPart({
        bucket,
        key,
        uploadId,
        partNumber,
        body: body.open(),
        headers: { 'content-length': String(body.size) },
        dataTransferStatusChange: (status) => {
          if (status.type === 2 /* Rw */ && status.rwOnceBytes > 0) onBytes(status.rwOnceBytes);
        },
      }),
    );
    return { etag: data.ETag, crc64: data.hashCrc64ecma ? String(data.hashCrc64ecma) : undefined };
  }

  async completeMultipartUpload(bucket: string, key: string, uploadId: string, parts: readonly { partNumber: number; etag: string }[]): Promise<UploadResult> {
    const { data } = await this.call(`complete multipart upload ${tosUri(bucket, key)}`, () =>
      this.sdk.completeMultipartUpload({ bucket, key, uploadId, parts: parts.map((p) => ({ partNumber: p.partNumber, eTag: p.etag })) }),
    );
    return { crc64: data.HashCrc64ecma ? String(data.HashCrc64ecma) : undefined, etag: data.ETag };
  }

  /** Aborts an upload; one that is already gone (completed, aborted, expired) is not an error. */
  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    try {
      await this.call(`abort multipart upload ${uploadId} of ${tosUri(bucket, key)}`, () => this.sdk.abortMultipartUpload({ bucket, key, uploadId }));
    } catch (error) {
      if (error instanceof TosCallError && (error.code === 'NoSuchUpload' || error.statusCode === 404)) return;
      throw error;
    }
  }

  /** Every open multipart upload under `prefix`, paginated, in (key, initiation) order. */
  async listMultipartUploads(bucket: string, prefix: string): Promise<OpenUpload[]> {
    const out: OpenUpload[] = [];
    let markers: { keyMarker: string; uploadIdMarker: string } | undefined;
    do {
      const input = { bucket, prefix, maxUploads: 1000, ...(markers ?? {}) };
      const { data } = await this.call(`list multipart uploads ${tosUri(bucket, prefix)}`, () => this.sdk.listMultipartUploads(input));
      for (const u of data.Uploads ?? []) out.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated });
      markers = data.IsTruncated ? { keyMarker: data.NextKeyMarker, uploadIdMarker: data.NextUploadIdMarker } : undefined;
    } while (markers);
    return out;
  }

  /** The parts already uploaded to `uploadId`, paginated, by part number. */
  async listParts(bucket: string, key: string, uploadId: string): Promise<UploadedPart[]> {
    const out: UploadedPart[] = [];
    let partNumberMarker: number | undefined;
    do {
      const input = { bucket, key, uploadId, maxParts: 1000, ...(partNumberMarker !== undefined ? { partNumberMarker } : {}) };
      const { data } = await this.call(`list parts of upload ${uploadId} of ${tosUri(bucket, key)}`, () => this.sdk.listParts(input));
      for (const p of data.Parts ?? []) {
        const crc = (p as { HashCrc64ecma?: string | number }).HashCrc64ecma;
        out.push({ partNumber: p.PartNumber, size: Number(p.Size), etag: p.ETag.replace(/"/g, '').toLowerCase(), ...(crc !== undefined && crc !== '' ? { crc64: String(crc) } : {}) });
      }
      partNumberMarker = data.IsTruncated ? data.NextPartNumberMarker : undefined;
    } while (partNumberMarker !== undefined);
    return out.sort((a, b) => a.partNumber - b.partNumber);
  }
}
