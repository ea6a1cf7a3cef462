import { createHash } from 'node:crypto';
import type { CommitInfo, CommitRecord } from './store';

/** One entry of `GET /api/models/{repo}/tree/{revision}`, as the hub writes it. */
export interface TreeEntryWire {
  type: 'file' | 'directory';
  oid: string;
  size: number;
  path: string;
  lfs?: { oid: string; size: number; pointerSize: number };
  lastCommit?: CommitInfo;
}

/**
 * The entries under `dir` ('' for the root) at a commit, directories included, sorted by path (so a directory
 * comes before its contents); only direct children unless `recursive`. Undefined when `dir` is not a directory.
 * `expand` adds each entry's `lastCommit` (the hub also adds a security scan status, which ark-local has not).
 */
export function treeEntries(commit: CommitRecord, dir: string, recursive: boolean, expand: boolean): TreeEntryWire[] | undefined {
  const dirs = directories(commit);
  if (dir !== '' && !dirs.has(dir)) return undefined;
  const prefix = dir === '' ? '' : `${dir}/`;
  const depth = (p: string) => p.split('/').length;
  const wanted = (p: string) => p.startsWith(prefix) && (recursive || depth(p) === depth(prefix));
  const entries: TreeEntryWire[] = [];
  for (const [p, d] of dirs) {
    if (p === '' || !wanted(p)) continue;
    entries.push({ type: 'directory', oid: d.oid, size: 0, path: p, ...(expand ? { lastCommit: d.lastCommit } : {}) });
  }
  for (const f of commit.files) {
    if (!wanted(f.path)) continue;
    const b = f.blob;
    entries.push({
      type: 'file',
      oid: b.gitOid,
      size: b.size,
      path: f.path,
      ...(b.lfs ? { lfs: { oid: b.lfs.sha256, size: b.size, pointerSize: b.lfs.pointerSize } } : {}),
      ...(expand ? { lastCommit: f.lastCommit } : {}),
    });
  }
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Every directory of the commit ('' the root) with an id and the latest change below it. The id is a sha1 over
 * the ids and paths of all files below: content-derived like git's tree id, though not byte-for-byte git's [I].
 */
function directories(commit: CommitRecord): Map<string, { oid: string; lastCommit: CommitInfo }> {
  const below = new Map<string, { lines: string[]; lastCommit: CommitInfo }>();
  for (const f of commit.files) {
    const parts = f.path.split('/');
    for (let i = 0; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      const seen = below.get(d);
      if (!seen) below.set(d, { lines: [`${f.blob.gitOid} ${f.path}`], lastCommit: f.lastCommit });
      else {
        seen.lines.push(`${f.blob.gitOid} ${f.path}`);
        if (seen.lastCommit.date < f.lastCommit.date) seen.lastCommit = f.lastCommit;
      }
    }
  }
  const result = new Map<string, { oid: string; lastCommit: CommitInfo }>();
  for (const [d, { lines, lastCommit }] of below) result.set(d, { oid: createHash('sha1').update(lines.join('\n')).digest('hex'), lastCommit });
  return result;
}
