import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Clock } from '../state/transitions';
import { blobFromBytes, DiskHashCache, type HubBlob } from './content';

/** A file in a commit's tree, with the commit that last changed it (the tree listing's `lastCommit`). */
export interface TreeFile {
  path: string;
  blob: HubBlob;
  lastCommit: CommitInfo;
}

export interface CommitInfo {
  id: string;
  title: string;
  date: string;
}

export interface CommitRecord extends CommitInfo {
  parent?: string;
  /** Sorted by path. */
  files: TreeFile[];
}

export interface RepoRecord {
  /** `owner/name`. */
  id: string;
  /** Stable 24-hex `_id`, as the hub's model info carries one. */
  objectId: string;
  createdAt: string;
  private: boolean;
  /** Tokens that may read a private repo; undefined: every token ark-local accepts. */
  readers?: string[];
  branches: Map<string, string>;
  commits: Map<string, CommitRecord>;
}

export interface PublishInput {
  branch: string;
  /** A directory on the ark-local machine: the commit's tree is its files (read on demand, hashed now). */
  directory?: string;
  /** Small files given inline, on top of the directory or of the branch's current tree. */
  files?: { path: string; content: Buffer }[];
  /** Paths removed from the branch's current tree (when no directory replaces it). */
  delete?: string[];
  message?: string;
}

export class HubStoreError extends Error {}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const COMMIT = /^[0-9a-f]{40}$/;

export function validRepoId(id: string): boolean {
  const parts = id.split('/');
  return parts.length === 2 && parts.every((p) => NAME.test(p) && !p.includes('..'));
}

/**
 * The hub's repositories: commits are immutable snapshots, branches point at them, so an old commit stays
 * readable after its branch moves on. Kept in memory (a restarted ark-local starts with no repositories);
 * directory files are read from disk when served, so the data stays where it was published from.
 */
export class HubRepoStore {
  private readonly repos = new Map<string, RepoRecord>();
  /** LFS content by sha256, for the CDN routes (content-addressed, like the real hub's storage). */
  private readonly lfsBlobs = new Map<string, HubBlob>();
  private readonly hashes = new DiskHashCache();
  private commitCounter = 0;

  constructor(private readonly clock: Clock) {}

  find(id: string): RepoRecord | undefined {
    return this.repos.get(id);
  }

  /** A branch name or a full 40-hex commit of this repo. */
  resolve(repo: RepoRecord, revision: string): CommitRecord | undefined {
    const branchHead = repo.branches.get(revision);
    if (branchHead) return repo.commits.get(branchHead);
    return COMMIT.test(revision) ? repo.commits.get(revision) : undefined;
  }

  lfsBlob(sha256: string): HubBlob | undefined {
    return this.lfsBlobs.get(sha256);
  }

  async publish(repoId: string, input: PublishInput): Promise<{ repo: RepoRecord; commit: CommitRecord }> {
    if (!validRepoId(repoId)) throw new HubStoreError(`repo id must be owner/name (letters, digits, . _ -); found "${repoId}"`);
    if (!NAME.test(input.branch) || COMMIT.test(input.branch)) {
      throw new HubStoreError(`branch must be a name (letters, digits, . _ -) that is not a 40-hex commit; found "${input.branch}"`);
    }
    const existing = this.repos.get(repoId);
    const parentSha = existing?.branches.get(input.branch);
    const parent = parentSha ? existing!.commits.get(parentSha) : undefined;

    const tree = new Map<string, HubBlob>();
    if (input.directory !== undefined) {
      for (const [rel, abs] of await walk(input.directory)) tree.set(rel, await this.hashes.blob(abs, rel));
    } else {
      for (const f of parent?.files ?? []) tree.set(f.path, f.blob);
    }
    for (const file of input.files ?? []) tree.set(checkPath(file.path), blobFromBytes(file.path, file.content));
    for (const gone of input.delete ?? []) tree.delete(checkPath(gone));

    const repo = existing ?? this.newRepo(repoId);
    const date = new Date(this.clock()).toISOString();
    const title = input.message ?? `Publish ${[...tree.keys()].length} files to ${input.branch}`;
    const sorted = [...tree.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const sha = createHash('sha1')
      .update(`${repoId}\n${parentSha ?? ''}\n${title}\n${date}\n${++this.commitCounter}\n`)
      .update(sorted.map(([p, b]) => `${b.gitOid} ${p}`).join('\n'))
      .digest('hex');
    const info: CommitInfo = { id: sha, title, date };
    const before = new Map((parent?.files ?? []).map((f) => [f.path, f]));
    const files = sorted.map(([p, blob]): TreeFile => {
      const previous = before.get(p);
      const unchanged = previous && previous.blob.gitOid === blob.gitOid;
      return { path: p, blob, lastCommit: unchanged ? previous.lastCommit : info };
    });
    const commit: CommitRecord = { ...info, ...(parentSha ? { parent: parentSha } : {}), files };
    repo.commits.set(sha, commit);
    repo.branches.set(input.branch, sha);
    this.repos.set(repoId, repo);
    for (const f of files) if (f.blob.lfs) this.lfsBlobs.set(f.blob.lfs.sha256, f.blob);
    return { repo, commit };
  }

  setAccess(repoId: string, access: { private: boolean; readers?: string[] }): RepoRecord {
    const repo = this.repos.get(repoId);
    if (!repo) throw new HubStoreError(`no hub repo ${repoId}; publish a commit to it first`);
    repo.private = access.private;
    repo.readers = access.readers;
    return repo;
  }

  list(): RepoRecord[] {
    return [...this.repos.values()];
  }

  reset(): void {
    this.repos.clear();
    this.lfsBlobs.clear();
  }

  private newRepo(id: string): RepoRecord {
    return {
      id,
      objectId: randomBytes(12).toString('hex'),
      createdAt: new Date(this.clock()).toISOString(),
      private: false,
      branches: new Map(),
      commits: new Map(),
    };
  }
}

/** A repo path: relative, '/'-separated, no empty, `.` or `..` segments. */
function checkPath(p: string): string {
  if (!p || p.startsWith('/') || p.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new HubStoreError(`file path must be relative and '/'-separated without . or .. segments; found "${p}"`);
  }
  return p;
}

/** Regular files under `root` as [repo path, absolute path]; `.git` and symlinks are left out, as git would. */
async function walk(root: string): Promise<[string, string][]> {
  const absRoot = path.resolve(root);
  const stat = await fs.stat(absRoot).catch(() => undefined);
  if (!stat?.isDirectory()) throw new HubStoreError(`directory ${absRoot} does not exist on the ark-local machine`);
  const found: [string, string][] = [];
  const visit = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const abs = path.join(dir, entry.name);
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(abs, rel);
      else if (entry.isFile()) found.push([rel, abs]);
    }
  };
  await visit(absRoot, '');
  return found;
}
