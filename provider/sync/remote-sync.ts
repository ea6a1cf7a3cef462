import { combineCrc64List } from '../api/crc64';
import { tosUri } from '../api/tos';
import type { RemoteObject, TosStorage } from '../clients/tos/client';
import type { ProgressLog } from '../resources/controller';
import { abortOpenUploads, META_OWNER, MIN_PART_SIZE } from './engine';
import { assertInsidePrefix } from './keys';
import { computePlan, planTotals, type PlanItem, type SyncPlan } from './plan';
import { mapPool } from './pool';
import { formatPlan, ProgressReporter } from './progress';
import { partLayout, UploadIntegrityError, type PartSpec } from './upload';

/**
 * Syncs a model that already lives outside the runner (a TOS prefix, a hub revision) into the serving prefix.
 * The same plan as the local sync (provider/sync/plan.ts) decides what moves, with each file's content named by
 * its source's own fingerprint instead of a local hash, so nothing is read to plan. The bytes go through a
 * `SourceTransfer`: a TOS server-side copy (no byte through the runner) or a hub stream (no byte on its disk).
 *
 * Resuming is per file: a finished file carries its source fingerprint and is never sent again; an unfinished
 * multipart upload is aborted (its parts cannot be checked without reading the source) and the file starts
 * over. No upload is left open by a failure this process sees; one left by a killed run is aborted by the next
 * sync (or by delete).
 */

/** A file of the source as its listing describes it. */
export interface SourceFile {
  path: string;
  size: number;
  /** The source's name for the content: TOS's CRC64 (decimal) or the hub's `sha256:…`/`git:…` oid. */
  fingerprint: string;
}

export interface TransferTarget {
  bucket: string;
  key: string;
}

/** How one kind of source writes a file into TOS. */
export interface SourceTransfer {
  /** `tos://bucket/prefix/` or `hf://owner/name@commit`, for messages. */
  describe(): string;
  /**
   * Whether the plan must HEAD same-size target objects to learn their fingerprint (a hub oid is recorded in
   * object metadata; a TOS source's CRC64 is in the listing already).
   */
  readonly fingerprintInMetadata: boolean;
  /** The fingerprint an existing object holds, from its listing entry or (when needed) its metadata. */
  fingerprintOf(object: { crc64?: string; meta?: Record<string, string> }): string | undefined;
  /** Metadata to record on a written object besides the owner. */
  metaFor(file: SourceFile): Record<string, string>;
  /** One request for the whole file; resolves with the CRC64 TOS reports for the new object. */
  whole(file: SourceFile, target: TransferTarget, meta: Record<string, string>, onBytes: (n: number) => void): Promise<{ crc64?: string }>;
  /** One part `range` ([start, end)) of a multipart upload. */
  part(file: SourceFile, target: TransferTarget & { uploadId: string; partNumber: number }, range: PartSpec, onBytes: (n: number) => void): Promise<{ etag: string; crc64?: string }>;
  /** The object's CRC64 must equal this when the source knows it (a TOS copy); undefined: check the parts only. */
  expectedCrc64(file: SourceFile): string | undefined;
}

export interface RemoteTarget {
  bucket: string;
  /** Normalised (see normalizePrefix). */
  prefix: string;
  deleteRemoved: boolean;
}

export interface RemotePlan {
  plan: SyncPlan;
  /** The target objects under the prefix, as listed. */
  remote: RemoteObject[];
}

export interface RemoteSyncTuning {
  owner: string;
  concurrency: number;
  partSize: number;
  signal?: AbortSignal;
  progressIntervalMs?: number;
}

/** A file written by the sync: its content as TOS reports it. */
export interface WrittenFile {
  path: string;
  size: number;
  crc64?: string;
}

export class RemoteSyncError extends Error {
  constructor(
    message: string,
    /** Files that reached TOS complete and checked. */
    readonly written: WrittenFile[],
    /** Plan items whose object may hold anything now (started, or replaced/deleted and not done). */
    readonly unverified: PlanItem[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RemoteSyncError';
  }
}

/** Lists the target prefix and plans. Read-only (a listing, plus HEADs of same-size objects when needed). */
export async function planRemoteSync(storage: TosStorage, transfer: SourceTransfer, files: readonly SourceFile[], target: RemoteTarget): Promise<RemotePlan> {
  const remote = (await storage.bucketExists(target.bucket)) ? await storage.listPrefix(target.bucket, target.prefix) : [];
  const sizes = new Map(files.map((f) => [`${target.prefix}${f.path}`, f.size]));
  const fingerprints = await mapPool(remote, 16, async (o) => {
    if (sizes.get(o.key) !== o.size) return undefined;
    if (!transfer.fingerprintInMetadata && o.crc64 !== undefined) return transfer.fingerprintOf({ crc64: o.crc64 });
    const head = await storage.head(target.bucket, o.key);
    return head ? transfer.fingerprintOf({ crc64: head.crc64, meta: head.meta }) : undefined;
  });
  const plan = computePlan({
    prefix: target.prefix,
    local: files.map((f) => ({ path: f.path, size: f.size, crc64: f.fingerprint })),
    remote: remote.map((o, i) => ({ key: o.key, size: o.size, crc64: fingerprints[i] })),
    deleteRemoved: target.deleteRemoved,
    fingerprintName: transfer.fingerprintInMetadata ? 'source' : 'crc64',
  });
  return { plan, remote };
}

/**
 * Carries out a plan: aborts every open multipart upload under the prefix (a killed run's; none can be
 * resumed without reading the source), writes the files (small ones in parallel, large ones as parallel
 * multipart uploads one after another), checks each object's CRC64, then deletes. Resolves with every file
 * written, with the CRC64 TOS reports.
 */
export async function executeRemoteSync(
  storage: TosStorage,
  transfer: SourceTransfer,
  files: readonly SourceFile[],
  target: RemoteTarget,
  planned: RemotePlan,
  tuning: RemoteSyncTuning,
  log: ProgressLog,
): Promise<WrittenFile[]> {
  const { plan } = planned;
  const location = tosUri(target.bucket, target.prefix);
  const totals = planTotals(plan);
  log.info(`copy ${formatPlan(location, plan, totals).replace('to upload', 'to copy')} from ${transfer.describe()}`);
  const byPath = new Map(files.map((f) => [f.path, f]));
  const jobs = [...plan.upload, ...plan.replace];
  const partSize = Math.max(MIN_PART_SIZE, tuning.partSize);
  const progress = new ProgressReporter(`copy ${transfer.describe()} -> ${location}`, jobs.length, totals.uploadBytes, (line) => log.info(line), tuning.progressIntervalMs);
  const written: WrittenFile[] = [];
  const started = new Set<PlanItem>();

  const writeOne = async (item: PlanItem, lanes: number): Promise<void> => {
    tuning.signal?.throwIfAborted();
    const file = byPath.get(item.path)!;
    const meta = { [META_OWNER]: tuning.owner, ...transfer.metaFor(file) };
    const to = { bucket: target.bucket, key: item.key };
    let counted = 0;
    const onBytes = (n: number) => {
      const add = Math.min(n, file.size - counted);
      counted += add;
      if (add > 0) progress.addBytes(add);
    };
    started.add(item);
    const crc64 =
      file.size <= partSize
        ? (await transfer.whole(file, to, meta, onBytes)).crc64 ?? (await storage.head(to.bucket, to.key))?.crc64
        : await writeMultipart(storage, transfer, file, to, meta, partSize, lanes, onBytes, tuning.signal);
    const expected = transfer.expectedCrc64(file);
    if (expected !== undefined && crc64 !== expected) {
      throw new UploadIntegrityError(`${tosUri(to.bucket, to.key)}: expected the CRC64 of ${transfer.describe()}${file.path}, ${expected}, found ${crc64 ?? 'none'}`);
    }
    written.push({ path: file.path, size: file.size, crc64 });
    progress.addBytes(file.size - counted);
    progress.fileDone(file.path, file.size);
  };

  try {
    const aborted = await abortOpenUploads(storage, target.bucket, target.prefix);
    if (aborted > 0) log.info(`copy ${location}: aborted ${aborted} open multipart upload(s) left by an interrupted run`);
    await mapPool(
      jobs.filter((j) => j.size <= partSize),
      tuning.concurrency,
      (item) => writeOne(item, 1),
    );
    for (const item of jobs.filter((j) => j.size > partSize)) await writeOne(item, tuning.concurrency);
    if (jobs.length > 0) progress.flush('copies complete');
    const doomed = plan.deleteRemote.map((d) => d.key);
    for (const key of doomed) assertInsidePrefix(target.prefix, key);
    if (doomed.length > 0) {
      await storage.deleteKeys(target.bucket, doomed);
      log.info(`copy ${location}: deleted ${doomed.length} object(s) the source does not have`);
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const done = new Set(written.map((w) => w.path));
    const unverified = [...jobs.filter((i) => started.has(i) && !done.has(i.path)), ...plan.replace.filter((i) => !done.has(i.path)), ...plan.deleteRemote];
    throw new RemoteSyncError(`copy of ${transfer.describe()} to ${location} stopped after ${written.length}/${jobs.length} files: ${reason}`, written, unverified, { cause: error });
  }
  return written;
}

/** One file as a parallel multipart upload; aborted on failure unless the run itself was stopped. */
async function writeMultipart(
  storage: TosStorage,
  transfer: SourceTransfer,
  file: SourceFile,
  to: TransferTarget,
  meta: Record<string, string>,
  partSize: number,
  lanes: number,
  onBytes: (n: number) => void,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  const uploadId = await storage.createMultipartUpload(to.bucket, to.key, meta);
  try {
    const parts = await mapPool(partLayout(file.size, partSize), lanes, async (range) => {
      signal?.throwIfAborted();
      const sent = await transfer.part(file, { ...to, uploadId, partNumber: range.partNumber }, range, onBytes);
      return { partNumber: range.partNumber, etag: sent.etag, crc64: sent.crc64, size: range.end - range.start };
    });
    signal?.throwIfAborted();
    const result = await storage.completeMultipartUpload(to.bucket, to.key, uploadId, parts);
    const reported = result.crc64 ?? (await storage.head(to.bucket, to.key))?.crc64;
    if (parts.every((p) => p.crc64 !== undefined)) {
      const combined = combineCrc64List(parts as { crc64: string; size: number }[]);
      if (reported !== undefined && reported !== combined) {
        throw new UploadIntegrityError(`${tosUri(to.bucket, to.key)}: expected the CRC64 combined from its parts, ${combined}, found ${reported}`);
      }
      return reported ?? combined;
    }
    return reported;
  } catch (error) {
    // A run that was stopped leaves its upload for the next one to clean up: no request may start now.
    if (!signal?.aborted) await storage.abortMultipartUpload(to.bucket, to.key, uploadId).catch(() => undefined);
    throw error;
  }
}
