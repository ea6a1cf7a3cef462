import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { WalkedFile } from '../model/walk';
import { sha256Hex, writeFileAtomic } from './cache-dir';

/**
 * A file whose mtime is this close to (or after) the moment its hashing started may have been written again
 * within the same timestamp tick, after we read it: git's "racily clean" problem. Such entries are never
 * trusted; the file is re-hashed on the next run (by which time the entry is old enough to trust). Two
 * seconds covers coarse filesystem clocks (FAT, some network filesystems) and small clock skew.
 */
export const RACY_WINDOW_MS = 2000;

/**
 * Which stat fields must match for a cached fingerprint to be trusted, like git's `core.checkStat`: `default`
 * is size, mtime and inode; `minimal` drops the inode, for a CI runner that restores both the model directory
 * (with its mtimes, as tar-based caches do) and the cache directory, where every file gets a new inode.
 * Set by `PULUMI_ARK_STAT_CHECK` (see `statCheckFromEnv`).
 */
export type StatCheck = 'default' | 'minimal';

export function statCheckFromEnv(env: NodeJS.ProcessEnv = process.env): StatCheck {
  const value = env.PULUMI_ARK_STAT_CHECK;
  if (value === undefined || value === '' || value === 'default') return 'default';
  if (value === 'minimal') return 'minimal';
  throw new Error(`PULUMI_ARK_STAT_CHECK: expected "default" or "minimal", found ${JSON.stringify(value)}`);
}

const EntrySchema = z.object({
  size: z.number(),
  mtimeMs: z.number(),
  ino: z.number(),
  crc64: z.string(),
  /** Wall-clock time at which reading the file for this hash began. */
  hashedAtMs: z.number(),
});
type Entry = z.infer<typeof EntrySchema>;

const CacheFileSchema = z.object({
  version: z.literal(1),
  root: z.string(),
  entries: z.record(z.string(), EntrySchema),
});

/**
 * Remembers the CRC64 of each file of one directory keyed by (size, mtime, inode), like git's index, so a
 * repeated plan over an unchanged multi-GB model reads no file contents. The cache lives outside the
 * directory (see `syncCacheDir`), one JSON file per absolute root path, written atomically. A corrupt or
 * foreign cache file is ignored, never trusted.
 */
export class StatCache {
  private readonly seen = new Map<string, Entry>();
  private dirty = false;

  private constructor(
    readonly file: string,
    private readonly root: string,
    private readonly previous: Record<string, Entry>,
    private readonly check: StatCheck,
  ) {}

  static fileFor(cacheDir: string, absRoot: string): string {
    return path.join(cacheDir, 'stat-cache', `${sha256Hex(absRoot)}.json`);
  }

  static async load(cacheDir: string, root: string, check: StatCheck = 'default'): Promise<StatCache> {
    const absRoot = path.resolve(root);
    const file = StatCache.fileFor(cacheDir, absRoot);
    let entries: Record<string, Entry> = {};
    try {
      const parsed = CacheFileSchema.safeParse(JSON.parse(await fs.readFile(file, 'utf8')));
      if (parsed.success && parsed.data.root === absRoot) entries = parsed.data.entries;
    } catch {
      // Missing or unreadable: start empty; the cache is an optimisation only.
    }
    return new StatCache(file, absRoot, entries, check);
  }

  /** The cached CRC64 if `f` is provably unchanged since it was hashed; otherwise undefined (hash it). */
  lookup(f: WalkedFile): string | undefined {
    const entry = this.previous[f.path];
    if (!entry) return undefined;
    const same = entry.size === f.size && entry.mtimeMs === f.mtimeMs && (this.check === 'minimal' || entry.ino === f.ino);
    if (!same || f.mtimeMs >= entry.hashedAtMs - RACY_WINDOW_MS) return undefined;
    this.seen.set(f.path, entry);
    return entry.crc64;
  }

  record(f: Pick<WalkedFile, 'path' | 'size' | 'mtimeMs' | 'ino'>, crc64: string, hashedAtMs: number): void {
    this.seen.set(f.path, { size: f.size, mtimeMs: f.mtimeMs, ino: f.ino, crc64, hashedAtMs });
    this.dirty = true;
  }

  /** Persists the entries looked up or recorded in this run (files that disappeared are dropped). */
  async save(): Promise<void> {
    const dropped = Object.keys(this.previous).some((p) => !this.seen.has(p));
    if (!this.dirty && !dropped) return;
    const entries = Object.fromEntries([...this.seen.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    await writeFileAtomic(this.file, JSON.stringify({ version: 1, root: this.root, entries }));
    this.dirty = false;
  }
}
