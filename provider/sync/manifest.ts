import * as path from 'node:path';
import { walkModelDir, type WalkedFile } from '../model/walk';
import { crc64OfFile } from './fingerprint';
import { mapPool } from './pool';
import { StatCache } from './stat-cache';

/** One local file as the sync sees it. */
export interface ManifestEntry {
  /** Relative, '/'-separated; also the key suffix under the prefix. */
  path: string;
  size: number;
  crc64: string;
  mtimeMs: number;
  ino: number;
}

export interface LocalManifest {
  root: string;
  files: ManifestEntry[];
  /** Files and bytes actually read for hashing in this run (0 when every stat-cache entry held). */
  hashedFiles: number;
  hashedBytes: number;
}

export interface ManifestOptions {
  exclude?: string[];
  cacheDir: string;
  /** Files hashed at once; hashing is CPU-bound, a couple keeps the disk busy while the CPU hashes. */
  hashConcurrency?: number;
  onHashBytes?(n: number): void;
}

/**
 * Walks `root` (refusing escapes and special files, skipping hidden files and `exclude` matches) and
 * fingerprints every file, reusing stat-cache entries for unchanged files. Sorted by path.
 */
export async function buildManifest(root: string, opts: ManifestOptions): Promise<LocalManifest> {
  const absRoot = path.resolve(root);
  const walked = await walkModelDir(absRoot, { exclude: opts.exclude });
  const cache = await StatCache.load(opts.cacheDir, absRoot);
  let hashedFiles = 0;
  let hashedBytes = 0;
  const files = await mapPool(walked, opts.hashConcurrency ?? 2, async (f: WalkedFile): Promise<ManifestEntry> => {
    let crc64 = cache.lookup(f);
    if (crc64 === undefined) {
      const startedAt = Date.now();
      crc64 = await crc64OfFile(path.join(absRoot, ...f.path.split('/')), opts.onHashBytes);
      cache.record(f, crc64, startedAt);
      hashedFiles += 1;
      hashedBytes += f.size;
    }
    return { path: f.path, size: f.size, crc64, mtimeMs: f.mtimeMs, ino: f.ino };
  });
  await cache.save();
  return { root: absRoot, files, hashedFiles, hashedBytes };
}
