import { rm } from 'node:fs/promises';
import { TosClient } from '@volcengine/tos-sdk';
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
  /** Parts actually sent by this call (resumed parts excluded); 0 for a single PUT. */
  partsSent: number;
}

export interface MultipartUploadInput {
  bucket: string;
  key: string;
  filePath: string;
  partSize: number;
  /** Parts in flight at once for this file. */
  taskNum: number;
  /** Checkpoint file (the SDK writes it after each part and deletes it on success). */
  checkpointFile: string;
  meta: Record<string, string>;
  /** Every byte sent, retries included (the caller caps per file). */
  onBytes(delta: number): void;
}

export interface TosStorageOptions {
  retry?: RetryPolicy;
  /** Called before each backoff sleep (logs, tests). */
  onRetry?(info: { operation: string; attempt: number; delayMs: number; error: TosCallError }): void;
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
    this.endpointHint = { url: `${settings.tosSecure ? 'https' : 'http'}://${settings.tosEndpoint}`, source: settings.sources?.tosEndpoint };
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
    try {
      await this.call(`HEAD bucket ${bucket}`, () => this.sdk.headBucket(bucket));
      return true;
    } catch (error) {
      if (error instanceof TosCallError && error.statusCode === 404) return false;
      throw error;
    }
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
      const { data } = await this.call(`list tos://${bucket}/${prefix}`, () => this.sdk.listObjectsType2(input));
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
      const { data } = await this.call(`HEAD tos://${bucket}/${key}`, () => this.sdk.headObject({ bucket, key }));
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
      const { data } = await this.call(`delete ${batch.length} objects in tos://${bucket}/`, () =>
        this.sdk.deleteMultiObjects({ bucket, objects: batch.map((key) => ({ key })), quiet: false }),
      );
      if (data.Error.length > 0) {
        const failures = data.Error.map((e) => `${e.Key}: ${e.Code} ${e.Message}`).join('; ');
        throw new TosCallError(`delete objects in tos://${bucket}/`, data.Error[0].Code, 200, undefined, `expected every object deleted, found failures: ${failures}`);
      }
    }
  }

  /** Single streaming PUT of a file (small files: one request instead of three). `onBytes` sees every byte sent, retries included. */
  async putFile(bucket: string, key: string, filePath: string, meta: Record<string, string>, onBytes: (delta: number) => void): Promise<UploadResult> {
    const { data } = await this.call(`PUT tos://${bucket}/${key}`, () =>
      this.sdk.putObjectFromFile({
        bucket,
        key,
        filePath,
        meta,
        dataTransferStatusChange: (status) => {
          if (status.rwOnceBytes > 0) onBytes(status.rwOnceBytes);
        },
      }),
    );
    const headers = data as unknown as Record<string, string | undefined>;
    return { crc64: headers['x-tos-hash-crc64ecma'], etag: headers.etag, partsSent: 0 };
  }

  /**
   * Parallel multipart upload streamed from the file (the SDK reads each part with its own bounded read
   * stream, so memory does not grow with file or part size). Progress is checkpointed after every part; a
   * retry, or a later run with the same checkpoint file, sends only the parts not yet uploaded.
   */
  async uploadMultipart(input: MultipartUploadInput): Promise<UploadResult> {
    try {
      return await this.uploadMultipartOnce(input);
    } catch (error) {
      // The checkpoint names an upload TOS no longer has (aborted, expired, or a reset emulator): start over once.
      if (error instanceof TosCallError && error.code === 'NoSuchUpload') {
        await rm(input.checkpointFile, { force: true });
        return this.uploadMultipartOnce(input);
      }
      throw error;
    }
  }

  private async uploadMultipartOnce(input: MultipartUploadInput): Promise<UploadResult> {
    let partsSent = 0;
    const { data } = await this.call(`multipart upload tos://${input.bucket}/${input.key}`, () =>
      this.sdk.uploadFile({
        bucket: input.bucket,
        key: input.key,
        file: input.filePath,
        partSize: input.partSize,
        taskNum: input.taskNum,
        checkpoint: input.checkpointFile,
        meta: input.meta,
        uploadEventChange: (event) => {
          if (event.type === 3 /* UploadPartSucceed */) partsSent += 1;
        },
        dataTransferStatusChange: (status) => {
          if (status.type === 2 /* Rw */ && status.rwOnceBytes > 0) input.onBytes(status.rwOnceBytes);
        },
      }),
    );
    return { crc64: data.HashCrc64ecma ? String(data.HashCrc64ecma) : undefined, etag: data.ETag, partsSent };
  }
}
