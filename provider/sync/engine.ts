import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { TosStorage } from '../clients/tos/client';
import type { ProgressLog } from '../resources/controller';
import { sha256Hex } from './cache-dir';
import { buildManifest, type LocalManifest, type ManifestEntry } from './manifest';
import { assertInsidePrefix } from './keys';
import { computePlan, planTotals, type PlanItem, type RemoteFile, type SyncPlan } from './plan';
import { mapPool } from './pool';
import { formatPlan, ProgressReporter } from './progress';

/** Object metadata names (sent as `x-tos-meta-<name>`). */
export const META_OWNER = 'pulumi-ark-owner';
export const META_CRC64 = 'pulumi-ark-crc64';

/** TOS's multipart minimum; smaller part sizes are raised to it by the SDK anyway. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const DEFAULT_PART_SIZE = 64 * 1024 * 1024;
export const DEFAULT_UPLOAD_CONCURRENCY = 8;

export interface SyncTarget {
  source: string;
  bucket: string;
  /** Normalised (see normalizePrefix). */
  prefix: string;
  exclude?: string[];
  deleteRemoved: boolean;
}

export interface SyncEnv {
  storage: TosStorage;
  cacheDir: string;
  log: ProgressLog;
}

export interface SyncTuning {
  owner: string;
  uploadConcurrency: number;
  partSize: number;
  progressIntervalMs?: number;
  /** Aborted when the engine is gone (ControllerContext.signal): no further file starts uploading. */
  signal?: AbortSignal;
}

export interface PlannedSync {
  manifest: LocalManifest;
  remote: RemoteFile[];
  plan: SyncPlan;
}

export interface SyncStats {
  uploadedFiles: number;
  uploadedBytes: number;
  /** Multipart parts sent (resumed parts not counted). */
  partsSent: number;
  deletedFiles: number;
}

/** A sync that stopped part-way; `uploaded` lists the files that did reach TOS (for partial-create state). */
export class SyncError extends Error {
  constructor(
    message: string,
    readonly uploaded: PlanItem[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SyncError';
  }
}

export function locationOf(bucket: string, prefix: string): string {
  return `tos://${bucket}/${prefix}`;
}

/**
 * Lists the prefix and fills in CRC64s the listing lacked, with a HEAD only where the answer matters (a local
 * file of the same size exists). Read-only.
 */
export async function listRemote(storage: TosStorage, bucket: string, prefix: string, local: readonly ManifestEntry[]): Promise<RemoteFile[]> {
  const listed = await storage.listPrefix(bucket, prefix);
  const localSize = new Map(local.map((f) => [`${prefix}${f.path}`, f.size]));
  return mapPool(listed, 16, async (o): Promise<RemoteFile> => {
    if (o.crc64 !== undefined || localSize.get(o.key) !== o.size) return { key: o.key, size: o.size, crc64: o.crc64 };
    const head = await storage.head(bucket, o.key);
    return { key: o.key, size: o.size, crc64: head?.crc64 ?? head?.meta[META_CRC64] };
  });
}

/** Manifest + remote listing + plan. No mutating calls: safe during preview. */
export async function planSync(target: SyncTarget, env: SyncEnv): Promise<PlannedSync> {
  const [manifest, bucketExists] = await Promise.all([
    buildManifest(target.source, { exclude: target.exclude, cacheDir: env.cacheDir }),
    env.storage.bucketExists(target.bucket),
  ]);
  const remote = bucketExists ? await listRemote(env.storage, target.bucket, target.prefix, manifest.files) : [];
  const plan = computePlan({ prefix: target.prefix, local: manifest.files, remote, deleteRemoved: target.deleteRemoved });
  return { manifest, remote, plan };
}

/** Objects under the prefix that this resource did not write (their owner metadata is missing or different). */
export async function findForeignObjects(storage: TosStorage, bucket: string, remote: readonly RemoteFile[], owner: string): Promise<string[]> {
  const owners = await mapPool(remote, 16, async (r) => (await storage.head(bucket, r.key))?.meta[META_OWNER]);
  return remote.filter((_, i) => owners[i] !== owner).map((r) => r.key);
}

/**
 * Carries out a plan: uploads (small files in parallel, large ones as parallel multipart uploads one after
 * another, so at most `uploadConcurrency` requests are in flight), verifies each object's final CRC64 against
 * the local fingerprint, then deletes. Deletes run last so a failed sync never leaves fewer files than before.
 */
export async function executePlan(target: SyncTarget, planned: PlannedSync, env: SyncEnv, tuning: SyncTuning): Promise<SyncStats> {
  const { plan, manifest } = planned;
  const location = locationOf(target.bucket, target.prefix);
  const totals = planTotals(plan);
  env.log.info(`sync ${formatPlan(location, plan, totals)}`);
  const stats: SyncStats = { uploadedFiles: 0, uploadedBytes: 0, partsSent: 0, deletedFiles: 0 };
  const uploaded: PlanItem[] = [];
  const jobs = [...plan.upload, ...plan.replace];
  const partSize = Math.max(MIN_PART_SIZE, tuning.partSize);
  const progress = new ProgressReporter(`upload ${location}`, jobs.length, totals.uploadBytes, (line) => env.log.info(line), tuning.progressIntervalMs);
  const byPath = new Map(manifest.files.map((f) => [f.path, f]));

  const uploadOne = async (item: PlanItem, taskNum: number): Promise<void> => {
    tuning.signal?.throwIfAborted();
    const entry = byPath.get(item.path)!;
    const file = path.join(manifest.root, ...item.path.split('/'));
    await assertUnchangedSince(file, entry);
    const meta = { [META_OWNER]: tuning.owner, [META_CRC64]: entry.crc64 };
    // Retried requests re-send bytes; cap the count per file so progress never passes 100%.
    let counted = 0;
    const onBytes = (n: number) => {
      const add = Math.min(n, entry.size - counted);
      counted += add;
      if (add > 0) progress.addBytes(add);
    };
    const result =
      entry.size <= partSize
        ? await env.storage.putFile(target.bucket, item.key, file, meta, onBytes)
        : await env.storage.uploadMultipart({
            bucket: target.bucket,
            key: item.key,
            filePath: file,
            partSize,
            taskNum,
            checkpointFile: checkpointFileFor(env.cacheDir, target.bucket, item.key, entry),
            meta,
            onBytes,
          });
    const remoteCrc = result.crc64 ?? (await env.storage.head(target.bucket, item.key))?.crc64;
    if (remoteCrc !== entry.crc64) {
      throw new Error(`${location}${item.path}: expected the uploaded object's CRC64 to equal the local file's ${entry.crc64}, found ${remoteCrc ?? 'none'}`);
    }
    stats.uploadedFiles += 1;
    stats.uploadedBytes += entry.size;
    stats.partsSent += result.partsSent;
    uploaded.push(item);
    progress.addBytes(entry.size - counted);
    progress.fileDone(item.path, entry.size);
  };

  try {
    const small = jobs.filter((j) => j.size <= partSize);
    const large = jobs.filter((j) => j.size > partSize);
    await mapPool(small, tuning.uploadConcurrency, (item) => uploadOne(item, 1));
    for (const item of large) await uploadOne(item, tuning.uploadConcurrency);
    if (jobs.length > 0) progress.flush('uploads complete');

    const doomed = plan.deleteRemote.map((d) => d.key);
    for (const key of doomed) assertInsidePrefix(target.prefix, key);
    if (doomed.length > 0) {
      await env.storage.deleteKeys(target.bucket, doomed);
      stats.deletedFiles = doomed.length;
      env.log.info(`sync ${location}: deleted ${doomed.length} remote object(s) with no local file`);
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SyncError(`sync of ${manifest.root} to ${location} stopped after ${uploaded.length}/${jobs.length} uploads: ${reason}`, uploaded, { cause: error });
  }
  return stats;
}

/** Plan then execute. */
export async function syncDirectory(target: SyncTarget, env: SyncEnv, tuning: SyncTuning): Promise<PlannedSync & { stats: SyncStats }> {
  const planned = await planSync(target, env);
  const stats = await executePlan(target, planned, env, tuning);
  return { ...planned, stats };
}

/**
 * Checkpoints are keyed by bucket, key and the content fingerprint: a re-run of an interrupted sync of the same
 * file resumes its multipart upload, while a changed file can never be resumed into a stale upload.
 */
export function checkpointFileFor(cacheDir: string, bucket: string, key: string, entry: ManifestEntry): string {
  return path.join(cacheDir, 'checkpoints', `${sha256Hex(`${bucket}\0${key}\0${entry.size}\0${entry.crc64}`)}.json`);
}

async function assertUnchangedSince(file: string, entry: ManifestEntry): Promise<void> {
  const st = await fs.stat(file);
  if (st.size !== entry.size || st.mtimeMs !== entry.mtimeMs) {
    throw new Error(
      `${file}: expected the file as fingerprinted (${entry.size} bytes, mtime ${new Date(entry.mtimeMs).toISOString()}), found ${st.size} bytes, mtime ${st.mtime.toISOString()}: it changed during the sync; re-run`,
    );
  }
}
