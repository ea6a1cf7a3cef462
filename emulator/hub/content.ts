import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { Readable } from 'node:stream';

/**
 * Where a published file's bytes live. Directory publishes keep only the path and the stat they were hashed
 * with, and read the disk on demand, so a 16 GB sparse model costs no memory; inline files (tests) hold theirs.
 */
export type FileContent =
  | { kind: 'disk'; absPath: string; size: number; mtimeMs: number }
  | { kind: 'inline'; bytes: Buffer };

/** A published file as the hub sees it: git blob id, LFS identity when it is stored in LFS. */
export interface HubBlob {
  size: number;
  /** The git blob sha1: of the content for a regular file, of the LFS pointer text for an LFS file. */
  gitOid: string;
  /** Present for LFS files only: the sha256 of the content and the size of the pointer text. */
  lfs?: { sha256: string; pointerSize: number };
  content: FileContent;
}

/** Files above this size go to LFS whatever their name [I: the hub refuses plain git blobs above 10 MiB]. */
export const LFS_THRESHOLD_BYTES = 10 * 1024 * 1024;

/** What the hub's default .gitattributes would send to LFS, in the restrictive reading: safetensors and big files. */
export function storedInLfs(path: string, size: number): boolean {
  return path.endsWith('.safetensors') || size > LFS_THRESHOLD_BYTES;
}

/** git's object id of a blob: sha1 over `blob <len>\0` and the bytes. */
export function gitBlobOid(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** The pointer git stores in place of an LFS file (git-lfs spec v1). */
export function lfsPointer(sha256: string, size: number): Buffer {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`);
}

export function blobFromBytes(path: string, bytes: Buffer): HubBlob {
  const content: FileContent = { kind: 'inline', bytes };
  if (!storedInLfs(path, bytes.length)) return { size: bytes.length, gitOid: gitBlobOid(bytes), content };
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return lfsBlob(sha256, bytes.length, content);
}

function lfsBlob(sha256: string, size: number, content: FileContent): HubBlob {
  const pointer = lfsPointer(sha256, size);
  return { size, gitOid: gitBlobOid(pointer), lfs: { sha256, pointerSize: pointer.length }, content };
}

/**
 * Hashes of files on disk, remembered by path and the stat they were read with (device, inode, size, mtime), so
 * publishing the same multi-GB directory again reads nothing. In memory only: a restarted ark-local hashes again.
 */
export class DiskHashCache {
  private readonly known = new Map<string, string>();

  async blob(absPath: string, relPath: string): Promise<HubBlob> {
    const stat = await fs.stat(absPath);
    const content: FileContent = { kind: 'disk', absPath, size: stat.size, mtimeMs: stat.mtimeMs };
    const lfs = storedInLfs(relPath, stat.size);
    const key = [absPath, stat.dev, stat.ino, stat.size, stat.mtimeMs, lfs ? 'sha256' : 'git'].join('\0');
    let digest = this.known.get(key);
    if (digest === undefined) {
      digest = await hashFile(absPath, stat.size, lfs);
      this.known.set(key, digest);
    }
    return lfs ? lfsBlob(digest, stat.size, content) : { size: stat.size, gitOid: digest, content };
  }
}

/** One streaming pass: sha256 of the content for LFS files, the git blob sha1 otherwise. */
async function hashFile(absPath: string, size: number, lfs: boolean): Promise<string> {
  const hash = lfs ? createHash('sha256') : createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(absPath, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class ContentChangedError extends Error {}

/**
 * Bytes [start, end] (inclusive, as in a Range header) of a blob. A disk file whose size or mtime moved since it
 * was published fails instead of serving bytes that no longer match its published hashes.
 */
export async function openContent(blob: HubBlob, start: number, end: number): Promise<Readable> {
  const content = blob.content;
  if (content.kind === 'inline') return Readable.from([content.bytes.subarray(start, end + 1)]);
  const stat = await fs.stat(content.absPath).catch(() => undefined);
  if (!stat || stat.size !== content.size || stat.mtimeMs !== content.mtimeMs) {
    throw new ContentChangedError(`${content.absPath} changed on disk after it was published; publish it again`);
  }
  if (end < start) return Readable.from([]);
  // 1 MiB reads: a model download is many GB, and 64 KiB reads (the default) cost the server and the client
  // (which sees the same chunking) a per-chunk overhead sixteen times over.
  return createReadStream(content.absPath, { start, end, highWaterMark: 1024 * 1024 });
}
