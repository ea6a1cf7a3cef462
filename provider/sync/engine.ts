import { promises as fs } from 'node:fs';
import { tosUri } from '../api/tos';
import type { OpenUpload, RemoteObject, TosStorage } from '../clients/tos/client';
import { walkModelDir } from '../model/walk';
import type { ProgressLog } from '../resources/controller';
import { hashPool, type HashPool } from './hash-pool';
import { buildManifest, fileOf, type LocalManifest, type ManifestEntry } from './manifest';
import { assertInsidePrefix } from './keys';
import type { StatCheck } from './stat-cache';
import { computePlan, planTotals, type PlanItem, type RemoteFile, type SyncPlan } from './plan';
import { mapPool } from './pool';
import { formatPlan, ProgressReporter } from './progress';
import { abortUploads, putMultipart, putWhole, type UploadContext, type UploadOutcome } from './upload';

/** Object metadata name (sent as `x-tos-meta-<name>`): the resource that wrote the object. */
export const META_OWNER = 'pulumi-ark-owner';
/** TOS's multipart minimum; smaller part sizes are raised to it. */
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
  /** Hashing threads; the process-wide pool (one per core) unless given. */
  pool?: HashPool;
  /** Stat fields a cached fingerprint must match (`PULUMI_ARK_STAT_CHECK`); default size, mtime, inode. */
  statCheck?: StatCheck;
}

export interface SyncTuning {
  owner: string;
  uploadConcurrency: number;
  partSize: number;
  progressIntervalMs?: number;
  /**
   * Stops the sync: no new request starts and the bodies in flight are cut. Open multipart uploads are left
   * as they are, for the next sync to resume.
   */
  signal?: AbortSignal;
}

export interface PlannedSync {
  manifest: LocalManifest;
  remote: RemoteFile[];
  plan: SyncPlan;
  bucketExists: boolean;
}

export interface SyncStats {
  uploadedFiles: number;
  uploadedBytes: number;
  /** Multipart parts sent (parts found already uploaded not counted). */
  partsSent: number;
  /** Parts of an interrupted upload found in TOS with the same bytes, and not sent again. */
  partsReused: number;
  /** Open multipart uploads under the prefix aborted because nothing in this sync could resume them. */
  abortedUploads: number;
  deletedFiles: number;
}

/**
 * A sync that stopped part-way. `uploaded` lists the files that reached TOS verified; `unverified` the other
 * objects under the prefix that may now hold bytes of this sync or still hold bytes it was to replace or delete:
 * an upload that was started and not verified (its object may exist: written before a check failed, or written
 * with its answer lost), a replace not carried out (the old object stays), deletes not yet done. The partial
 * state keeps both, so a destroy removes every object the sync may have left (deleting a key that turned out
 * not to exist is harmless), and the next sync re-uploads what is unverified.
 */
export class SyncError extends Error {
  constructor(
    message: string,
    readonly uploaded: PlanItem[],
    readonly unverified: PlanItem[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SyncError';
  }
}

/**
 * Fills in CRC64s the listing lacked, with a HEAD only where the answer matters (a local file of the same size
 * exists). Read-only.
 */
async function withRemoteCrcs(storage: TosStorage, bucket: string, prefix: string, listed: RemoteObject[], local: readonly ManifestEntry[]): Promise<RemoteFile[]> {
  const localSize = new Map(local.map((f) => [`${prefix}${f.path}`, f.size]));
  return mapPool(listed, 16, async (o): Promise<RemoteFile> => {
    if (o.crc64 !== undefined || localSize.get(o.key) !== o.size) return { key: o.key, size: o.size, crc64: o.crc64 };
    return { key: o.key, size: o.size, crc64: (await storage.head(bucket, o.key))?.crc64 };
  });
}

/**
 * Walk + remote listing + manifest + plan. Only files with a same-size object under the prefix are hashed
 * here (their content decides upload or not); any other file is uploaded whatever it holds, so its
 * fingerprint is taken while it is sent. No mutating calls: safe during preview.
 */
export async function planSync(target: SyncTarget, env: SyncEnv): Promise<PlannedSync> {
  const [walked, bucketExists] = await Promise.all([walkModelDir(target.source, { exclude: target.exclude }), env.storage.bucketExists(target.bucket)]);
  const listed = bucketExists ? await env.storage.listPrefix(target.bucket, target.prefix) : [];
  const remoteSize = new Map(listed.map((o) => [o.key, o.size]));
  const manifest = await buildManifest(target.source, {
    cacheDir: env.cacheDir,
    walked,
    pool: env.pool,
    statCheck: env.statCheck,
    needsHash: (f) => remoteSize.get(`${target.prefix}${f.path}`) === f.size,
  });
  const remote = await withRemoteCrcs(env.storage, target.bucket, target.prefix, listed, manifest.files);
  const plan = computePlan({ prefix: target.prefix, local: manifest.files, remote, deleteRemoved: target.deleteRemoved });
  return { manifest, remote, plan, bucketExists };
}

/** Objects under the prefix that this resource did not write (their owner metadata is missing or different). */
export async function findForeignObjects(storage: TosStorage, bucket: string, remote: readonly { key: string }[], owner: string): Promise<string[]> {
  const owners = await mapPool(remote, 16, async (r) => (await storage.head(bucket, r.key))?.meta[META_OWNER]);
  return remote.filter((_, i) => owners[i] !== owner).map((r) => r.key);
}

/**
 * Carries out a plan: first aborts the open multipart uploads under the prefix that no upload of this plan can
 * resume, then uploads (small files in parallel, large ones as parallel multipart uploads one after another,
 * so at most `uploadConcurrency` requests are in flight), each file read once and fingerprinted on the way and
 * its object's CRC64 verified against it, then deletes. Deletes run last so a failed sync never leaves fewer
 * files than before. Fills in `crc64` of every uploaded manifest entry and records it in the stat cache.
 */
export async function executePlan(target: SyncTarget, planned: PlannedSync, env: SyncEnv, tuning: SyncTuning): Promise<SyncStats> {
  const { plan, manifest } = planned;
  const location = tosUri(target.bucket, target.prefix);
  const totals = planTotals(plan);
  env.log.info(`sync ${formatPlan(location, plan, totals)}`);
  const stats: SyncStats = { uploadedFiles: 0, uploadedBytes: 0, partsSent: 0, partsReused: 0, abortedUploads: 0, deletedFiles: 0 };
  const uploaded: PlanItem[] = [];
  /** Uploads sent at least in part: from then on their object may exist, whatever the outcome. */
  const started = new Set<PlanItem>();
  const jobs = [...plan.upload, ...plan.replace];
  const partSize = Math.max(MIN_PART_SIZE, tuning.partSize);
  const progress = new ProgressReporter(`upload ${location}`, jobs.length, totals.uploadBytes, (line) => env.log.info(line), tuning.progressIntervalMs);
  const byPath = new Map(manifest.files.map((f) => [f.path, f]));
  const ctx: UploadContext = { storage: env.storage, pool: env.pool ?? hashPool(), bucket: target.bucket, signal: tuning.signal };

  const uploadOne = async (item: PlanItem, open: readonly OpenUpload[], taskNum: number): Promise<void> => {
    tuning.signal?.throwIfAborted();
    const entry = byPath.get(item.path)!;
    const file = fileOf(manifest.root, item.path);
    await assertUnchangedSince(file, entry);
    // Retried requests re-send bytes; cap the count per file so progress never passes 100%.
    let counted = 0;
    const onBytes = (n: number) => {
      const add = Math.min(n, entry.size - counted);
      counted += add;
      if (add > 0) progress.addBytes(add);
    };
    const startedAt = Date.now();
    const up = { key: item.key, file, size: entry.size, meta: { [META_OWNER]: tuning.owner }, onBytes };
    started.add(item);
    const outcome: UploadOutcome =
      entry.size <= partSize ? await putWhole(ctx, up) : await putMultipart(ctx, { ...up, partSize, taskNum, open });
    if (entry.crc64 !== undefined && outcome.crc64 !== entry.crc64) {
      throw new Error(`${file}: expected the content fingerprinted in the plan (CRC64 ${entry.crc64}), read ${outcome.crc64}: it changed during the sync; re-run`);
    }
    // Unchanged after the read too, so the fingerprint taken on the way belongs to the file as walked.
    await assertUnchangedSince(file, entry);
    entry.crc64 = outcome.crc64;
    manifest.cache.record(entry, outcome.crc64, startedAt);
    stats.uploadedFiles += 1;
    stats.uploadedBytes += entry.size;
    stats.partsSent += outcome.partsSent;
    stats.partsReused += outcome.partsReused;
    stats.abortedUploads += outcome.abortedUploads;
    uploaded.push(item);
    progress.addBytes(entry.size - counted);
    progress.fileDone(item.path, entry.size);
  };

  try {
    const small = jobs.filter((j) => j.size <= partSize);
    const large = jobs.filter((j) => j.size > partSize);
    const open = planned.bucketExists ? await env.storage.listMultipartUploads(target.bucket, target.prefix) : [];
    const resumable = new Set(large.map((j) => j.key));
    const stale = open.filter((u) => !resumable.has(u.key));
    if (stale.length > 0) {
      await abortUploads(env.storage, target.bucket, stale);
      stats.abortedUploads += stale.length;
      env.log.info(`sync ${location}: aborted ${stale.length} open multipart upload(s) that no file of this sync can resume`);
    }
    await mapPool(small, tuning.uploadConcurrency, (item) => uploadOne(item, [], 1));
    for (const item of large) {
      await uploadOne(
        item,
        open.filter((u) => u.key === item.key),
        tuning.uploadConcurrency,
      );
    }
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
    const done = new Set(uploaded);
    const unverified = [
      ...plan.upload.filter((i) => started.has(i) && !done.has(i)),
      ...plan.replace.filter((i) => !done.has(i)),
      // The deletes are the last step, so a sync that failed did not finish them (a batch may have gone).
      ...plan.deleteRemote,
    ];
    throw new SyncError(`sync of ${manifest.root} to ${location} stopped after ${uploaded.length}/${jobs.length} uploads: ${reason}`, uploaded, unverified, { cause: error });
  } finally {
    await manifest.cache.save();
  }
  return stats;
}

/** Plan then execute. */
export async function syncDirectory(target: SyncTarget, env: SyncEnv, tuning: SyncTuning): Promise<PlannedSync & { stats: SyncStats }> {
  const planned = await planSync(target, env);
  const stats = await executePlan(target, planned, env, tuning);
  return { ...planned, stats };
}

/** Aborts every open multipart upload under the prefix (delete: nothing billed may stay behind). */
export async function abortOpenUploads(storage: TosStorage, bucket: string, prefix: string): Promise<number> {
  const open = await storage.listMultipartUploads(bucket, prefix);
  for (const u of open) assertInsidePrefix(prefix, u.key);
  await abortUploads(storage, bucket, open);
  return open.length;
}

async function assertUnchangedSince(file: string, entry: ManifestEntry): Promise<void> {
  const st = await fs.stat(file);
  if (st.size !== entry.size || st.mtimeMs !== entry.mtimeMs) {
    throw new Error(
      `${file}: expected the file as walked (${entry.size} bytes, mtime ${new Date(entry.mtimeMs).toISOString()}), found ${st.size} bytes, mtime ${st.mtime.toISOString()}: it changed during the sync; re-run`,
    );
  }
}
