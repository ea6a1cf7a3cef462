import * as path from 'node:path';
import { walkModelDir, type WalkedFile } from '../model/walk';
import { crc64OfFile } from './fingerprint';
import type { HashPool } from './hash-pool';
import { mapPool } from './pool';
import { StatCache, type StatCheck } from './stat-cache';

/** One local file as the sync sees it. */
export interface ManifestEntry {
  /** Relative, '/'-separated; also the key suffix under the prefix. */
  path: string;
  size: number;
  /**
   * Absent until known: a file with no same-size object under the prefix is uploaded whatever its content, so
   * its fingerprint is taken from the bytes on their way to TOS instead of in a read of its own.
   */
  crc64?: string;
  mtimeMs: number;
  ino: number;
}

/** An entry whose fingerprint is known. */
export type HashedEntry = ManifestEntry & { crc64: string };

export interface LocalManifest {
  root: string;
  files: ManifestEntry[];
  /** Files and bytes actually read for hashing in this run (0 when every stat-cache entry held). */
  hashedFiles: number;
  hashedBytes: number;
  /** The directory's stat cache: fingerprints taken later (during upload) are recorded and saved through it. */
  cache: StatCache;
}

export interface ManifestOptions {
  exclude?: string[];
  cacheDir: string;
  /**
   * Whether a file without a trusted stat-cache entry must be hashed now; default every file. Files for which
   * it says no keep `crc64` undefined.
   */
  needsHash?(f: WalkedFile): boolean;
  /** Already walked (the caller needed the list first); walked again otherwise. */
  walked?: WalkedFile[];
  /** Hashing threads; the process-wide pool unless given. */
  pool?: HashPool;
  /** Stat fields a cached fingerprint must match (default: size, mtime, inode). */
  statCheck?: StatCheck;
}

/** Files hashed at once; each large file is itself split across every core by `crc64OfFile`. */
const FILES_IN_FLIGHT = 4;

/**
 * Walks `root` (refusing escapes and special files, skipping hidden files and `exclude` matches) and
 * fingerprints the files that need it, reusing stat-cache entries for unchanged files. Sorted by path.
 */
export async function buildManifest(root: string, opts: ManifestOptions): Promise<LocalManifest> {
  const absRoot = path.resolve(root);
  const walked = opts.walked ?? (await walkModelDir(absRoot, { exclude: opts.exclude }));
  const cache = await StatCache.load(opts.cacheDir, absRoot, opts.statCheck);
  let hashedFiles = 0;
  let hashedBytes = 0;
  const files = await mapPool(walked, FILES_IN_FLIGHT, async (f: WalkedFile): Promise<ManifestEntry> => {
    const entry: ManifestEntry = { path: f.path, size: f.size, mtimeMs: f.mtimeMs, ino: f.ino };
    const cached = cache.lookup(f);
    if (cached !== undefined) return { ...entry, crc64: cached };
    if (opts.needsHash && !opts.needsHash(f)) return entry;
    const startedAt = Date.now();
    const crc64 = await crc64OfFile(fileOf(absRoot, f.path), f.size, opts.pool);
    cache.record(f, crc64, startedAt);
    hashedFiles += 1;
    hashedBytes += f.size;
    return { ...entry, crc64 };
  });
  await cache.save();
  return { root: absRoot, files, hashedFiles, hashedBytes, cache };
}

export function fileOf(root: string, rel: string): string {
  return path.join(root, ...rel.split('/'));
}

export function isHashed(e: ManifestEntry): e is HashedEntry {
  return e.crc64 !== undefined;
}
