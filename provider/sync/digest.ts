import { createHash } from 'node:crypto';

export interface DigestEntry {
  path: string;
  size: number;
  /** Absent (or '', as earlier versions stored it) when the content is unknown (no CRC64 reported, or unverified). */
  crc64?: string;
}

/**
 * Content digest of a model directory: sha256 over (path, size, crc64) of every file, sorted by path. It
 * changes iff some file's path or content changes; file order on disk, mtimes and inodes do not matter.
 * Downstream resources (CustomModel) take it as an input, so new weights mean a new model.
 */
export function contentDigest(entries: readonly DigestEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const hash = createHash('sha256');
  // An unknown CRC hashes as '': no real CRC64 is empty, so such a digest never equals one of known content,
  // and the digests in states that stored '' for it stay what they were.
  for (const e of sorted) hash.update(`${e.path}\0${e.size}\0${e.crc64 ?? ''}\n`);
  return `sha256:${hash.digest('hex')}`;
}
